import { gunzipSync, gzipSync } from 'node:zlib';
import type { RedisConnection } from '../redis/index.js';
import { decodeEntry, encodeEntry, youngEnough, type CachedAnswer, type ResponseCache } from './response-cache.js';

/** Entries above this are gzipped (answers are text; JSON compresses 3–10×). */
export const COMPRESS_ABOVE_BYTES = 1024;

/**
 * Answers in Redis, shared by every worker and host: `<namespace>:cache:<call type>:<sha256>`,
 * with the ttl as the key's expiry. A value is `j<json>` or, when large, `z<base64 gzip of json>`.
 * Redis down or slow: the connection answers undefined within its command timeout, which is a
 * miss (get) or nothing stored (put), never an error for the client.
 */
export class RedisCache implements ResponseCache {
  readonly type = 'redis' as const;

  constructor(
    private readonly redis: RedisConnection,
    private readonly maxEntryBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, maxAgeMs?: number): Promise<CachedAnswer | undefined> {
    const value = await this.redis.run('cache read', (r) => r.get(this.redis.key('cache', key)));
    if (typeof value !== 'string') return undefined;
    const answer = decodeEntry(unpack(value));
    return answer !== undefined && youngEnough(answer, maxAgeMs, this.now()) ? answer : undefined;
  }

  async put(key: string, body: unknown, ttlMs: number, costUsd?: number | null): Promise<number> {
    const text = encodeEntry(body, this.now(), costUsd);
    if (Buffer.byteLength(text) > this.maxEntryBytes) return 0;
    const value = text.length > COMPRESS_ABOVE_BYTES ? `z${gzipSync(text).toString('base64')}` : `j${text}`;
    const done = await this.redis.run('cache store', (r) => r.set(this.redis.key('cache', key), value, 'PX', Math.max(1, Math.round(ttlMs))));
    return done === undefined ? 0 : value.length;
  }
}

function unpack(value: string): string {
  if (value.startsWith('j')) return value.slice(1);
  if (value.startsWith('z')) {
    try {
      return gunzipSync(Buffer.from(value.slice(1), 'base64')).toString('utf8');
    } catch {
      return '';
    }
  }
  return '';
}
