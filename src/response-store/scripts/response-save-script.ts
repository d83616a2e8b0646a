import { defineScript } from '../../redis/index.js';

/**
 * response-save: stores one Responses API answer and renews the turns before it, so that a
 * conversation in use never loses its early turns to expiry while its later ones live. Every key
 * of a conversation carries the same hash tag (the conversation part of the response id), so the
 * script stays within one slot on Redis Cluster.
 *
 * KEYS[1]: the answer, `<namespace>:responses:{<conversation>}:<response id>`
 * KEYS[2..n]: the turns before it in its conversation (same form, same tag); none for a native answer
 * ARGV[1]: the record (JSON)
 * ARGV[2]: its life in ms (a whole number)
 * Returns: 1
 */
export const RESPONSE_SAVE_SCRIPT = defineScript('response-save', `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return 1
`);
