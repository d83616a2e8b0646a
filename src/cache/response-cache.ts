/** An answer as the cache keeps it: the whole JSON body of a non-streaming answer, and when it was stored. */
export interface CachedAnswer {
  readonly storedAt: number;
  readonly body: unknown;
  /**
   * What the call that made the answer cost, in USD: what a hit saves. Null when its deployment
   * had no price; undefined when it reported no usage (or the entry predates the field).
   */
  readonly costUsd?: number | null;
}

/** Where answers are kept: Redis (every worker and host) or this worker's memory. */
export interface ResponseCache {
  readonly type: 'redis' | 'local';
  /** The entry, when there is one younger than `maxAgeMs` (when given); never throws. */
  get(key: string, maxAgeMs?: number): Promise<CachedAnswer | undefined>;
  /** Stores an answer for `ttlMs`; answers the bytes stored (0: not stored: too large, or Redis down). Never throws. */
  put(key: string, body: unknown, ttlMs: number, costUsd?: number | null): Promise<number>;
}

export function encodeEntry(body: unknown, storedAt: number, costUsd?: number | null): string {
  return JSON.stringify(costUsd === undefined ? { t: storedAt, b: body } : { t: storedAt, c: costUsd, b: body });
}

export function decodeEntry(text: string): CachedAnswer | undefined {
  try {
    const parsed = JSON.parse(text) as { t?: unknown; b?: unknown; c?: unknown };
    if (typeof parsed.t !== 'number' || parsed.b === undefined) return undefined;
    const cost = typeof parsed.c === 'number' && Number.isFinite(parsed.c) && parsed.c >= 0 ? parsed.c : parsed.c === null ? null : undefined;
    return cost === undefined ? { storedAt: parsed.t, body: parsed.b } : { storedAt: parsed.t, body: parsed.b, costUsd: cost };
  } catch {
    return undefined; // not ours: as if absent
  }
}

export function youngEnough(entry: CachedAnswer, maxAgeMs: number | undefined, now: number): boolean {
  return maxAgeMs === undefined || now - entry.storedAt <= maxAgeMs;
}
