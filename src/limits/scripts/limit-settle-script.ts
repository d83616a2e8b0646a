import { defineScript } from '../../redis/index.js';

/**
 * limit-settle: a call counted by limit-admit is over: its lease and reservation go, its real
 * cost joins the window's spend, its token estimate becomes the real count. Also undoes an
 * admission (another scope of the same call refused it) and replays a settlement made while
 * Redis was away (its lease is then long gone: only the cost and tokens are added).
 *
 * KEYS[1..5]: as limit-admit (rpm log, tpm, leases, held, spent), tag `{<namespace>:limits:<kind>:<id>}`
 * ARGV[1]: lease id
 * ARGV[2]: real cost in nano-USD to add to spent (0: nothing)
 * ARGV[3]: tpm minute the call was counted in (-1: not counted)
 * ARGV[4]: tokens to add to that minute (real minus estimate; may be negative)
 * ARGV[5]: time to live of spent in ms (0: no expiry)
 * ARGV[6]: 1 to undo the admission (its rpm entry goes too), else 0
 * Returns: spent after the settlement (nano-USD)
 */
export const LIMIT_SETTLE_SCRIPT = defineScript('limit-settle', `
local lease = ARGV[1]
local cost = tonumber(ARGV[2])
local minute = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local windowTtl = tonumber(ARGV[5])
redis.call('ZREM', KEYS[3], lease)
redis.call('HDEL', KEYS[4], lease)
if ARGV[6] == '1' then redis.call('ZREM', KEYS[1], lease) end
if minute >= 0 and tokens ~= 0 and redis.call('HEXISTS', KEYS[2], tostring(minute)) == 1 then
  redis.call('HINCRBY', KEYS[2], tostring(minute), tokens)
end
local spent = tonumber(redis.call('GET', KEYS[5]) or '0')
if cost > 0 then
  spent = redis.call('INCRBY', KEYS[5], cost)
  if windowTtl > 0 then redis.call('PEXPIRE', KEYS[5], windowTtl) end
end
return spent
`);
