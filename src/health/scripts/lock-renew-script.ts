import { defineScript } from '../../redis/index.js';

/**
 * lock-renew: extends the health check lock only while the caller still holds it, so that a host
 * whose lock expired (and was taken by another) cannot extend someone else's lock.
 *
 * KEYS[1]: the lock, `<namespace>:{<namespace>:health:<fingerprint>}:lock`
 * ARGV[1]: the caller's holder id (its pod id)
 * ARGV[2]: the new time to live in ms
 * Returns: 1 when extended, 0 when the caller does not hold the lock
 */
export const LOCK_RENEW_SCRIPT = defineScript('health-lock-renew', `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);
