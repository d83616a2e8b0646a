/** An answer as the cache keeps it: the whole JSON body of a non-streaming answer, and when it was stored. */
export interface CachedAnswer {
  readonly storedAt: number;
  readonly body: unknown;
}

/** Where answers are kept: Redis (every worker and host) or this worker's memory. */
export interface ResponseCache {
  readonly type: 'redis' | 'local';
  /** The entry, when there is one younger than `maxAgeMs` (when given); never throws. */
  get(key: string, maxAgeMs?: number): Promise<CachedAnswer | undefined>;
  /** Stores an answer for `ttlMs`; answers the bytes stored (0: not stored: too large, or Redis down). Never throws. */
  put(key: string, body: unknown, ttlMs: number): Promise<number>;
}

export function encodeEntry(body: unknown, storedAt: number): string {
  return JSON.stringify({ t: storedAt, b: body });
}

export function decodeEntry(text: string): CachedAnswer | undefined {
  try {
    const parsed = JSON.parse(text) as { t?: unknown; b?: unknown };
    if (typeof parsed.t !== 'number' || parsed.b === undefined) return undefined;
    return { storedAt: parsed.t, body: parsed.b };
  } catch {
    return undefined; // not ours: as if absent
  }
}

export function youngEnough(entry: CachedAnswer, maxAgeMs: number | undefined, now: number): boolean {
  return maxAgeMs === undefined || now - entry.storedAt <= maxAgeMs;
}
