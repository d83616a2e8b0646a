import { defineScript } from '../../redis/index.js';

/**
 * cooldown-extend: announces a cooldown to every host. Never shortens one that another host set
 * for longer; changes the epoch so that readers know to look. The epoch is a fresh random token,
 * not a counter: a counter restarts at 0 with an emptied Redis and could come back to the very
 * value a reader saw before the restart.
 *
 * KEYS[1]: the deployment's cooldown key, `<namespace>:{<namespace>:router:cooldowns}:cooldown:<deployment id>`
 * KEYS[2]: the cooldown epoch, `<namespace>:{<namespace>:router:cooldowns}:epoch`
 * ARGV[1]: the cooldown in ms (a whole number)
 * ARGV[2]: why ("rate_limited", "failures"), kept as the value for anyone inspecting Redis
 * ARGV[3]: the new epoch (a random token)
 * Returns: 1 when the key was set, 0 when it already lived at least that long
 */
export const COOLDOWN_EXTEND_SCRIPT = defineScript('cooldown-extend', `
local remaining = redis.call('PTTL', KEYS[1])
if remaining >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
redis.call('SET', KEYS[2], ARGV[3])
return 1
`);
