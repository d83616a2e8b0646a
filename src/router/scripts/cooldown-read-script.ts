import { defineScript } from '../../redis/index.js';

/**
 * cooldown-read: how long each deployment still sits out, read only when some host has announced
 * a cooldown since this process last looked (the epoch changed), so that a quiet cluster
 * costs Redis one GET per round. Remaining times travel, not end times: no host's clock is trusted.
 *
 * KEYS[1]: the cooldown epoch, `<namespace>:{<namespace>:router:cooldowns}:epoch` (a token changed by every announcement)
 * KEYS[2..n]: one cooldown key per deployment, `<namespace>:{<namespace>:router:cooldowns}:cooldown:<deployment id>`
 * ARGV[1]: the epoch this process read last ("" the first time)
 * Returns: { epoch } when the epoch is ARGV[1]; else { epoch, then for KEYS[2..n] in order the
 *          remaining time to live in ms (-2 when the key does not exist) }
 */
export const COOLDOWN_READ_SCRIPT = defineScript('cooldown-read', `
local epoch = redis.call('GET', KEYS[1]) or 'none'
if epoch == ARGV[1] then
  return { epoch }
end
local out = { epoch }
for i = 2, #KEYS do
  out[i] = redis.call('PTTL', KEYS[i])
end
return out
`);
