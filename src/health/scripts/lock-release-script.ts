import { defineScript } from '../../redis/index.js';

/**
 * lock-release: deletes the health check lock only if the caller holds it, in one step (LiteLLM
 * reads then deletes, which deletes another host's lock if it changed hands in between).
 *
 * KEYS[1]: the lock, `<namespace>:{<namespace>:health:<fingerprint>}:lock`
 * ARGV[1]: the caller's holder id (its pod id)
 * Returns: 1 when deleted, 0 when the caller does not hold the lock
 */
export const LOCK_RELEASE_SCRIPT = defineScript('health-lock-release', `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
