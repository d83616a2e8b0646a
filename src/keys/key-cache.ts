import { GatewayError } from '../core/index.js';
import type { Caller } from './caller.js';

export interface KeyCacheOptions {
  /** Reads one key from the database: undefined when no key has that hash; throws when it cannot answer. */
  load(tokenHash: string): Promise<Caller | undefined>;
  /** How long a key read from the database is used without asking again (the bound on staleness without Redis). */
  ttlMs: number;
  /** How long an unknown hash is answered "unknown" without asking again. */
  negativeTtlMs: number;
  /** Keys held (the one read longest ago goes first). */
  maxEntries: number;
  /** Unknown hashes held. */
  maxNegativeEntries: number;
  /** Look-ups sent to PostgreSQL at once by this worker; more wait in line. */
  maxConcurrentLoads: number;
  /** Look-ups waiting for a place; past it the request gets a 503 with retry-after. */
  maxQueuedLoads: number;
  /** A request waits this long for a look-up (1.5 s), then gets a 503 (the query keeps its place until it ends). */
  loadTimeoutMs?: number;
  now?: () => number;
}

interface Entry {
  readonly caller: Caller | null;
  readonly fetchedAt: number;
}

/** After a failed look-up, PostgreSQL counts as down for this long: stale keys are served without waiting on it. */
const DOWN_MS = 5_000;

/**
 * A worker's virtual keys, so that the database is not on the request path: a bounded map of keys
 * read (fresh for `ttlMs`; when full, the one read longest ago goes first), a smaller map of hashes found unknown (for `negativeTtlMs`, so a
 * client repeating a bad key never reaches PostgreSQL), one query shared by concurrent look-ups
 * of one hash, and a bound on look-ups in flight and waiting (a flood of distinct bad keys costs
 * PostgreSQL at most `maxConcurrentLoads` queries at a time per worker). A key whose time is up is
 * read again; when PostgreSQL does not answer, the key last read keeps working (stale beats a
 * refused call), and a key never read gets a 503: it may be fine. Changes made through the API
 * reach the cache through `invalidate*` (from Redis pub/sub across hosts).
 */
export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly unknown = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<Caller | null>>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  /** Bumped by every invalidation: a look-up that began before one does not store what it read. */
  private generation = 0;
  private failedAt = -Infinity;
  private readonly now: () => number;

  constructor(private readonly options: KeyCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The caller of a token hash: at once when held (the common case), else a promise. `null`: no
   * such key. The promise rejects with a 503 GatewayError when PostgreSQL cannot be asked.
   */
  lookup(tokenHash: string): Caller | null | Promise<Caller | null> {
    const now = this.now();
    const entry = this.entries.get(tokenHash);
    if (entry !== undefined) {
      if (now - entry.fetchedAt < this.options.ttlMs) return entry.caller;
      const refreshed = this.load(tokenHash);
      // PostgreSQL just failed: answer with what is held, and let the refresh land when it can.
      if (now - this.failedAt < DOWN_MS) {
        refreshed.catch(() => undefined);
        return entry.caller;
      }
      return refreshed.catch(() => entry.caller);
    }
    const unknownAt = this.unknown.get(tokenHash);
    if (unknownAt !== undefined && now - unknownAt < this.options.negativeTtlMs) return null;
    return this.load(tokenHash);
  }

  invalidate(tokenHash: string): void {
    this.generation++;
    this.entries.delete(tokenHash);
    this.unknown.delete(tokenHash);
  }

  /** Drops every key of a team or a user (their limits, models or blocking changed). */
  invalidateWhere(match: (caller: Caller) => boolean): void {
    this.generation++;
    for (const [hash, entry] of this.entries) if (entry.caller !== null && match(entry.caller)) this.entries.delete(hash);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.unknown.clear();
  }

  private load(tokenHash: string): Promise<Caller | null> {
    const shared = this.inFlight.get(tokenHash);
    if (shared !== undefined) return shared;
    const generation = this.generation;
    const promise = this.slot()
      .then(() => withTimeout(this.options.load(tokenHash).finally(() => this.release()), this.options.loadTimeoutMs ?? 1_500))
      .then((found) => {
        const caller = found ?? null;
        this.failedAt = -Infinity;
        if (generation === this.generation) this.store(tokenHash, caller);
        return caller;
      }, (error: unknown) => {
        if (error instanceof GatewayError) throw error;
        this.failedAt = this.now();
        throw new GatewayError('database_unavailable', 'The key could not be checked: PostgreSQL did not answer. Try again shortly.', { headers: { 'retry-after': '1' }, cause: error });
      })
      .finally(() => this.inFlight.delete(tokenHash));
    this.inFlight.set(tokenHash, promise);
    return promise;
  }

  private store(tokenHash: string, caller: Caller | null): void {
    const now = this.now();
    if (caller === null) {
      this.entries.delete(tokenHash);
      this.unknown.delete(tokenHash);
      this.unknown.set(tokenHash, now);
      if (this.unknown.size > this.options.maxNegativeEntries) this.unknown.delete(this.unknown.keys().next().value as string);
      return;
    }
    this.unknown.delete(tokenHash);
    this.entries.delete(tokenHash); // re-inserted last: the Map's order is the LRU order
    this.entries.set(tokenHash, { caller, fetchedAt: now });
    if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  private slot(): Promise<void> {
    if (this.running < this.options.maxConcurrentLoads) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.maxQueuedLoads) {
      return Promise.reject(new GatewayError('server_busy', 'Too many keys are being checked at once; try again shortly.', { headers: { 'retry-after': '1' } }));
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.running++;
      resolve();
    }));
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from PostgreSQL within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // its failure after the timeout is nobody's to see
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
