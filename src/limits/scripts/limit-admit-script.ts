import { defineScript } from '../../redis/index.js';

/**
 * limit-admit: counts one call against one scope (a key, a team or a user), or refuses it, in one
 * atomic step on one slot. Times are the server's (TIME): hosts' clocks are never compared.
 * Money is whole nano-USD (1e-9 USD), so sums are exact.
 *
 * Every key shares the scope's hash tag `{<namespace>:limits:<kind>:<id>}`:
 * KEYS[1]: rpm log, a ZSET of lease id → admission time (ms); the last 60 s count
 * KEYS[2]: tpm, a HASH of minute number → tokens counted in that minute (this minute and the last kept)
 * KEYS[3]: leases, a ZSET of lease id → expiry (ms): calls in flight (max_parallel_requests, reservations)
 * KEYS[4]: held, a HASH of lease id → nano-USD reserved by that call in flight
 * KEYS[5]: spent, a string of nano-USD settled in the budget window; its name ends with the window's end
 * ARGV[1]: lease id (unique per call)
 * ARGV[2]: rpm limit (-1: none)
 * ARGV[3]: tpm limit (-1: none)
 * ARGV[4]: max parallel (-1: none)
 * ARGV[5]: budget in nano-USD (-1: none)
 * ARGV[6]: the call's maximum cost in nano-USD (reserved)
 * ARGV[7]: the spend the database knows for this window, nano-USD (a floor for spent)
 * ARGV[8]: tokens estimated for the call (tpm)
 * ARGV[9]: time to live of spent in ms (the window's rest plus a margin; 0: no window, no expiry)
 * ARGV[10]: lease time to live in ms (a call never settled stops counting after it)
 * ARGV[11]: 1 when the reservation must fit whole in what is left even with nothing else reserved
 *           (a worker's budget block, budget-blocks.ts); 0 for a call's own
 * Returns: { 0, tpm minute, spent } admitted;
 *          { code, retry after ms, spent, in use } refused: 1 rpm, 2 tpm, 3 parallel,
 *          4 budget spent, 5 budget held by calls in flight
 */
export const LIMIT_ADMIT_SCRIPT = defineScript('limit-admit', `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = ARGV[1]
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local parallel = tonumber(ARGV[4])
local budget = tonumber(ARGV[5])
local cost = tonumber(ARGV[6])
local floor = tonumber(ARGV[7])
local tokens = tonumber(ARGV[8])
local windowTtl = tonumber(ARGV[9])
local leaseTtl = tonumber(ARGV[10])
local whole = ARGV[11] == '1'
local minute = math.floor(now / 60000)

if rpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
  local used = redis.call('ZCARD', KEYS[1])
  if used >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local wait = 1000
    if oldest[2] then wait = math.max(1, tonumber(oldest[2]) + 60000 - now) end
    return { 1, wait, 0, used }
  end
end

local used_tokens = 0
if tpm >= 0 then
  used_tokens = tonumber(redis.call('HGET', KEYS[2], tostring(minute)) or '0')
  if used_tokens >= tpm then
    return { 2, (minute + 1) * 60000 - now, 0, used_tokens }
  end
end

local tracked = parallel >= 0 or budget >= 0
local in_flight = 0
if tracked then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
  for i = 1, #expired do redis.call('HDEL', KEYS[4], expired[i]) end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  in_flight = redis.call('ZCARD', KEYS[3])
end
if parallel >= 0 and in_flight >= parallel then
  return { 3, 1000, 0, in_flight }
end

local spent = 0
if budget >= 0 then
  spent = tonumber(redis.call('GET', KEYS[5]) or '0')
  if spent < floor then
    spent = floor
    if windowTtl > 0 then redis.call('SET', KEYS[5], floor, 'PX', windowTtl) else redis.call('SET', KEYS[5], floor) end
  end
  if spent >= budget then
    return { 4, 0, spent, 0 }
  end
  local reserved = 0
  local held = redis.call('HVALS', KEYS[4])
  for i = 1, #held do reserved = reserved + tonumber(held[i]) end
  -- Fits beside the reservations of the calls in flight, or runs alone: a window ends below
  -- budget + one call's maximum cost either way. A block never runs alone: it must fit.
  if (reserved > 0 or whole) and spent + reserved + cost > budget then
    return { 5, 1000, spent, reserved }
  end
end

if rpm >= 0 then
  redis.call('ZADD', KEYS[1], now, lease)
  redis.call('PEXPIRE', KEYS[1], 61000)
end
if tpm >= 0 then
  redis.call('HINCRBY', KEYS[2], tostring(minute), tokens)
  redis.call('HDEL', KEYS[2], tostring(minute - 2))
  redis.call('PEXPIRE', KEYS[2], 180000)
end
if tracked then
  redis.call('ZADD', KEYS[3], now + leaseTtl, lease)
  redis.call('PEXPIRE', KEYS[3], leaseTtl + 1000)
  if budget >= 0 then
    redis.call('HSET', KEYS[4], lease, cost)
    redis.call('PEXPIRE', KEYS[4], leaseTtl + 1000)
  end
end
return { 0, minute, spent, 0 }
`);
