import { defineScript } from '../../redis/index.js';

/**
 * usage-sync: adds this process's unshared traffic to the minute's counters and reads back every
 * host's totals, in one round trip on one key.
 *
 * KEYS[1]: the minute's hash, `<namespace>:router:usage:<minute>`, fields `r:<deployment id>`
 *          (requests) and `t:<deployment id>` (tokens)
 * ARGV[1]: time to live of the hash in ms (longer than a minute, so late readers still see it)
 * ARGV[2..]: pairs of field and whole-number increment (only the ones that changed)
 * Returns: the hash as a flat list of field, value
 */
export const USAGE_SYNC_SCRIPT = defineScript('usage-sync', `
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
if #ARGV > 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return redis.call('HGETALL', KEYS[1])
`);
