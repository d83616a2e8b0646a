import type { RedisSettings } from '../config/index.js';
import { GatewayError, type Logger } from '../core/index.js';
import { migrate, type SqlClient } from '../db/index.js';
import { resetBudgets } from './budget-reset.js';
import type { Caller } from './caller.js';
import { loadCaller } from './caller-query.js';
import { KeyCache } from './key-cache.js';
import { KeyInvalidation, type KeyChange } from './key-invalidation.js';
import { KeyStore, type Changed } from './key-store.js';
import { abbreviate, hashToken } from './key-token.js';

export interface VirtualKeysOptions {
  db: SqlClient;
  logger: Logger;
  /** Changes reach other workers and hosts through Redis pub/sub; without it, through the cache TTL. */
  redis?: RedisSettings;
  /** How long a key read from the database is used before it is read again (60 s, LiteLLM's `user_api_key_cache_ttl`). */
  cacheTtlMs?: number;
  /** How often this worker tries the budget reset (one process at a time wins it); undefined: never. */
  budgetResetIntervalMs?: number;
  maxCachedKeys?: number;
}

const NEGATIVE_TTL_MS = 5_000;

/**
 * A worker's virtual keys: authentication from the cache (key-cache.ts), the management API
 * (key-store.ts) with every change published to all workers, and the budget reset job.
 */
export class VirtualKeys {
  readonly store: KeyStore;
  private readonly cache: KeyCache;
  private readonly invalidation: KeyInvalidation | undefined;
  private schemaReady: Promise<unknown> | undefined;
  private resetTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: VirtualKeysOptions) {
    const { db } = options;
    this.store = new KeyStore(db);
    this.cache = new KeyCache({
      load: async (hash) => {
        await this.schema();
        return loadCaller(db, hash);
      },
      ttlMs: options.cacheTtlMs ?? 60_000,
      negativeTtlMs: Math.min(NEGATIVE_TTL_MS, options.cacheTtlMs ?? NEGATIVE_TTL_MS),
      maxEntries: options.maxCachedKeys ?? 10_000,
      maxNegativeEntries: 10_000,
      maxConcurrentLoads: 2,
      maxQueuedLoads: 256,
    });
    this.invalidation = options.redis === undefined ? undefined : new KeyInvalidation(options.redis, options.logger, (change) => this.drop(change));
  }

  start(): void {
    this.invalidation?.start();
    const every = this.options.budgetResetIntervalMs;
    if (every !== undefined) {
      // Spread over the interval: the workers of a host do not all try at the same moment.
      const first = setTimeout(() => {
        void this.resetBudgets();
        this.resetTimer = setInterval(() => void this.resetBudgets(), every);
        this.resetTimer.unref();
      }, Math.round(Math.random() * every));
      first.unref();
      this.resetTimer = first;
    }
  }

  /**
   * The caller a presented key belongs to (`tokenHash`: its SHA-256 hex when the caller has it
   * already): at once from the cache, else a promise. Throws (or
   * rejects with) LiteLLM's errors for a key that is unknown, expired or blocked, and a 503 when
   * PostgreSQL cannot tell.
   */
  authenticate(key: string, tokenHash = hashToken(key)): Caller | Promise<Caller> {
    if (!key.startsWith('sk-')) {
      throw new GatewayError('virtual_key_invalid', `Authentication Error, LiteLLM Virtual Key expected. Received=${abbreviate(key)}, expected to start with 'sk-'.`);
    }
    const found = this.cache.lookup(tokenHash);
    return found instanceof Promise ? found.then((caller) => admitted(caller, key)) : admitted(found, key);
  }

  /** Runs a management change, then drops what it changed from every cache (this worker's at once). */
  async change<T>(work: (store: KeyStore) => Promise<Changed<T>>): Promise<T> {
    await this.schema();
    const { result, changes } = await work(this.store);
    await this.announce(changes);
    return result;
  }

  /** A read of the management API (the schema first: the database may be new). */
  async read<T>(work: (store: KeyStore) => Promise<T>): Promise<T> {
    await this.schema();
    return work(this.store);
  }

  async resetBudgets(): Promise<void> {
    try {
      await this.schema();
      const changes = await resetBudgets(this.options.db);
      if (changes !== undefined && changes.length > 0) {
        this.options.logger.info({ reset: changes.length }, 'budgets reset: spend set to 0 for the keys, teams and users whose budget window ended');
        await this.announce(changes);
      }
    } catch (error) {
      this.options.logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'budget reset skipped: PostgreSQL did not answer');
    }
  }

  async close(): Promise<void> {
    if (this.resetTimer !== undefined) clearInterval(this.resetTimer);
    await this.invalidation?.close();
  }

  private async announce(changes: readonly KeyChange[]): Promise<void> {
    for (const change of changes) this.drop(change);
    await this.invalidation?.publish(changes);
  }

  private drop(change: KeyChange): void {
    switch (change.kind) {
      case 'key': return this.cache.invalidate(change.id);
      case 'team': return this.cache.invalidateWhere((c) => c.teamId === change.id);
      case 'user': return this.cache.invalidateWhere((c) => c.userId === change.id);
      case 'all': return this.cache.clear();
    }
  }

  private schema(): Promise<unknown> {
    this.schemaReady ??= migrate(this.options.db).catch((error: unknown) => {
      this.schemaReady = undefined;
      throw error;
    });
    return this.schemaReady;
  }
}

/** LiteLLM's checks on a key found (or not) in the order it makes them. */
function admitted(caller: Caller | null, key: string): Caller {
  if (caller === null) {
    throw new GatewayError('virtual_key_invalid', `Authentication Error, Invalid proxy server token passed. Received API Key = ${abbreviate(key)}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``);
  }
  if (caller.blocked) throw new GatewayError('key_blocked', "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.");
  if (caller.teamBlocked) throw new GatewayError('key_blocked', `Authentication Error, Team=${caller.teamId} is blocked. Update via \`/team/unblock\` if you're an admin.`);
  if (caller.expiresAt !== null) {
    const now = Date.now();
    if (caller.expiresAt < now) {
      throw new GatewayError('key_expired', `Authentication Error - Expired Key. Key Expiry time ${new Date(caller.expiresAt).toISOString()} and current time ${new Date(now).toISOString()}`, { param: abbreviate(key) });
    }
  }
  return caller;
}
