import { defineScript } from '../../redis/index.js';

/**
 * limit-renew: calls still in flight keep their leases (max_parallel_requests places, budget
 * reservations, a worker's budget blocks) past the lease time to live: a stream may outlast it.
 * A lease that has already lapsed is not brought back (its place and reservation are gone).
 *
 * KEYS[1]: leases, the scope's ZSET of lease id → expiry (ms); KEYS[2]: held, its HASH of reservations
 * ARGV[1]: lease time to live in ms; ARGV[2..]: the leases to renew
 * Returns: how many were renewed
 */
export const LIMIT_RENEW_SCRIPT = defineScript('limit-renew', `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV do
  local expiry = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if expiry and tonumber(expiry) > now then
    redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i])
    renewed = renewed + 1
  end
end
if renewed > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl + 1000)
  redis.call('PEXPIRE', KEYS[2], ttl + 1000)
end
return renewed
`);
