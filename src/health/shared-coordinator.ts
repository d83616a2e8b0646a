import type { Deployment, RedisSettings } from '../config/index.js';
import type { Logger } from '../core/index.js';
import { RedisConnection, RedisSubscription } from '../redis/index.js';
import { healthKeys, type HealthKeys } from './health-keys.js';
import { HealthLock } from './health-lock.js';
import type { DeploymentHealth, HealthRound } from './health-types.js';
import { parseSharedResults, toSharedResults } from './shared-results.js';

export interface SharedCoordinatorOptions {
  redisSettings: RedisSettings;
  /** The deployments every round probes (their ids also name the keys). */
  scheduled: readonly Deployment[];
  podId: string;
  intervalMs: number;
  lockTtlMs: number;
  resultsTtlMs: number;
  logger: Logger;
  /** Probes every scheduled deployment (on this host). */
  probe(signal: AbortSignal): Promise<DeploymentHealth[]>;
  /** Makes a round this host's current results (probed here or adopted). */
  deliver(round: HealthRound, source: 'probed' | 'adopted'): void;
  /** This host's current results. */
  latest(): HealthRound | undefined;
}

/** How long the first round waits for Redis to connect before probing locally. */
const FIRST_CONNECTION_WAIT_MS = 1_000;

interface SharedState {
  lockOwner: string | null;
  results: HealthRound | undefined;
}

/**
 * One prober per cluster. Each round a host adopts results younger than the interval; otherwise
 * it takes the lock (`SET NX PX`, its unique pod id as the value), probes while renewing the
 * lock, stores the results for the results TTL, announces them (pub/sub) and releases the lock
 * (compare-and-delete). A host that finds the lock taken waits without blocking anything (this
 * runs in the primary, which serves no traffic; workers keep the previous results meanwhile),
 * takes the holder's results when they arrive, and probes itself only if the lock disappears
 * without results (the holder died: its lock expires, since nobody renews it). Whenever Redis
 * cannot be asked, the host probes locally that round.
 */
export class SharedCoordinator {
  private readonly redis: RedisConnection;
  private readonly subscription: RedisSubscription;
  private readonly lock: HealthLock;
  private readonly keys: HealthKeys;
  private readonly deployments: ReadonlyMap<string, Deployment>;
  private readonly slackMs: number;
  private readonly pollMs: number;
  private readonly wakeups = new Set<() => void>();

  constructor(private readonly options: SharedCoordinatorOptions) {
    const { logger, redisSettings } = options;
    this.redis = new RedisConnection(redisSettings, { logger, purpose: 'health' });
    const keys = healthKeys((group, ...parts) => this.redis.groupKey(group, ...parts), options.scheduled);
    this.keys = keys;
    this.deployments = new Map(options.scheduled.map((d) => [d.id, d]));
    this.subscription = new RedisSubscription(redisSettings, {
      logger, purpose: 'health-announce', channel: keys.channel, onMessage: (text) => this.onAnnounced(text),
    });
    this.lock = new HealthLock(this.redis, keys.lock, options.podId);
    // Timers and clocks are not exact: a round begun a hair less than one interval ago is due.
    this.slackMs = Math.min(250, options.intervalMs / 10);
    this.pollMs = Math.min(1_000, Math.max(100, Math.round(options.lockTtlMs / 4)));
  }

  start(): void {
    this.redis.start();
    this.subscription.start();
    const { podId, lockTtlMs, resultsTtlMs, intervalMs } = this.options;
    this.options.logger.info({
      pod_id: podId, lock_ttl_s: lockTtlMs / 1000, cache_ttl_s: resultsTtlMs / 1000, interval_s: intervalMs / 1000, redis: this.redis.endpoint, lock_key: this.keys.lock,
    }, 'shared health check manager initialised');
  }

  async close(): Promise<void> {
    await Promise.all([this.subscription.close(), this.redis.close()]);
  }

  /** One round, begun at its scheduled time `tickAt`. */
  async run(tickAt: number, signal: AbortSignal): Promise<void> {
    const latest = this.options.latest();
    if (latest !== undefined && this.isFresh(latest)) return; // announced by the holder already
    if (!(await this.redis.firstConnection(FIRST_CONNECTION_WAIT_MS))) return this.probeLocally(tickAt, signal, 'redis unavailable');
    const state = await this.readState();
    if (state === undefined) return this.probeLocally(tickAt, signal, 'redis unavailable');
    if (state.results !== undefined && this.isFresh(state.results)) return this.adopt(state.results);
    if (state.lockOwner === null) {
      const askedAt = Date.now();
      const acquired = await this.lock.acquire(this.options.lockTtlMs);
      if (acquired === undefined) return this.probeLocally(tickAt, signal, 'redis unavailable');
      if (acquired) return this.probeAsHolder(tickAt, askedAt, signal);
    }
    // Still ours from a round that could not release it (Redis blinked): renewal picks it up.
    if (state.lockOwner === this.options.podId) return this.probeAsHolder(tickAt, Date.now(), signal);
    const baseline = Math.max(latest?.timestamp ?? -Infinity, state.results?.timestamp ?? -Infinity);
    return this.waitForHolder(baseline, state.lockOwner, signal, tickAt);
  }

  private isFresh(round: HealthRound): boolean {
    return Date.now() - round.timestamp < this.options.intervalMs - this.slackMs;
  }

  /** The lock and the results, read in one atomic command (no result can land between the two). */
  private async readState(): Promise<SharedState | undefined> {
    const { keys } = this;
    const reply = await this.redis.run('health state read', (r) => r.mget(keys.lock, keys.results));
    if (reply === undefined) return undefined;
    return { lockOwner: reply[0] ?? null, results: parseSharedResults(reply[1]) };
  }

  private async waitForHolder(baseline: number, owner: string | null, signal: AbortSignal, tickAt: number): Promise<void> {
    const { logger } = this.options;
    logger.debug({ lock_owner: owner }, 'another host holds the health check lock; waiting for its results');
    while (!signal.aborted) {
      await this.pause(baseline, signal);
      if ((this.options.latest()?.timestamp ?? -Infinity) > baseline) return; // announced
      if (signal.aborted) return;
      const state = this.redis.available ? await this.readState() : undefined;
      if (state === undefined) return this.probeLocally(tickAt, signal, 'redis unavailable while waiting for the lock holder');
      if (state.results !== undefined && state.results.timestamp > baseline) return this.adopt(state.results);
      if (state.lockOwner !== null) {
        owner = state.lockOwner;
        continue;
      }
      // The lock is gone and no results came: the holder died or lost Redis. One waiter takes over.
      const askedAt = Date.now();
      const acquired = await this.lock.acquire(this.options.lockTtlMs);
      if (acquired === undefined) return this.probeLocally(tickAt, signal, 'redis unavailable while waiting for the lock holder');
      if (acquired) {
        logger.warn({ previous_holder: owner }, 'health check lock holder gone without results; this host probes');
        return this.probeAsHolder(Date.now(), askedAt, signal);
      }
    }
  }

  /** Until results newer than `baseline` are announced, a poll period passes, or the round is cancelled. */
  private pause(baseline: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeups.delete(check);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const check = () => {
        if ((this.options.latest()?.timestamp ?? -Infinity) > baseline) done();
      };
      const timer = setTimeout(done, this.pollMs);
      this.wakeups.add(check);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Probes as the lock's holder, renewing it. This host holds the lock until the last renewal Redis
   * confirmed, plus the TTL (counted from when it was asked, so never later than Redis' own expiry):
   * when Redis cannot be asked for that long (an outage, a failover), the lease lapses, which is
   * logged, and another host may take the lock; the probes under way still finish and are shared.
   * A failover can lose the lock key itself (replication is asynchronous), so another host may
   * take it at once: two hosts then hold it for at most one TTL.
   */
  private async probeAsHolder(timestamp: number, confirmedAt: number, signal: AbortSignal): Promise<void> {
    const { logger, podId, lockTtlMs } = this.options;
    logger.info({ pod_id: podId }, 'health check lock acquired');
    let lostReported = false;
    let lapsed = false;
    let lapse: NodeJS.Timeout | undefined;
    const leaseUntil = (confirmed: number) => {
      clearTimeout(lapse);
      lapse = setTimeout(() => {
        lapsed = true;
        logger.warn({ pod_id: podId, lock_ttl_s: lockTtlMs / 1000 }, 'health check lock lapsed: not renewed within its ttl (redis unavailable); another host may take it');
      }, Math.max(0, confirmed + lockTtlMs - Date.now()));
      lapse.unref();
    };
    leaseUntil(confirmedAt);
    const renewal = setInterval(() => {
      const askedAt = Date.now();
      void this.lock.renew(lockTtlMs).then((held) => {
        if (held === true && !lapsed) leaseUntil(askedAt);
        if (held !== false || lostReported || lapsed) return;
        lostReported = true;
        clearTimeout(lapse);
        logger.warn({ pod_id: podId }, 'health check lock lost while probing (it expired or another host took it); the results are still shared');
      });
    }, Math.max(50, Math.floor(lockTtlMs / 3)));
    renewal.unref();
    let results: DeploymentHealth[];
    try {
      results = await this.options.probe(signal);
    } finally {
      clearInterval(renewal);
    }
    if (!signal.aborted) {
      const round: HealthRound = { timestamp, checkedBy: podId, results };
      this.options.deliver(round, 'probed');
      await this.share(round);
    }
    clearTimeout(lapse);
    // Even after a lapse: a renewal whose answer was lost may have extended it (compare-and-delete is safe).
    await this.release();
  }

  private async share(round: HealthRound): Promise<void> {
    const { logger, resultsTtlMs } = this.options;
    const { keys } = this;
    const shared = toSharedResults(round, this.deployments);
    const text = JSON.stringify(shared);
    const stored = await this.redis.run('health results store', (r) => r.set(keys.results, text, 'PX', resultsTtlMs));
    if (stored === undefined) {
      logger.warn({ pod_id: this.options.podId }, 'health check results not cached: redis unavailable; other hosts probe for themselves');
      return;
    }
    logger.info(
      { healthy: shared.healthy_count, unhealthy: shared.unhealthy_count, pod_id: this.options.podId },
      `cached health check results for ${shared.healthy_count} healthy and ${shared.unhealthy_count} unhealthy endpoints`,
    );
    await this.redis.run('health results announce', (r) => r.publish(keys.channel, text));
  }

  private async release(): Promise<void> {
    const { logger, podId } = this.options;
    const released = await this.lock.release();
    if (released === true) logger.info({ pod_id: podId }, 'health check lock released');
    else if (released === false) logger.warn({ pod_id: podId }, 'health check lock had already expired or passed to another host; nothing released');
    else logger.warn({ pod_id: podId }, 'health check lock not released: redis unavailable; it expires by itself');
  }

  private async probeLocally(tickAt: number, signal: AbortSignal, reason: string): Promise<void> {
    this.options.logger.warn({ reason, pod_id: this.options.podId }, 'health checks fall back to local probing');
    const results = await this.options.probe(signal);
    if (!signal.aborted) this.options.deliver({ timestamp: tickAt, checkedBy: this.options.podId, results }, 'probed');
  }

  private onAnnounced(text: string): void {
    const round = parseSharedResults(text);
    if (round !== undefined && round.checkedBy !== this.options.podId) this.adopt(round);
  }

  private adopt(round: HealthRound): void {
    const latest = this.options.latest();
    if (latest !== undefined && round.timestamp <= latest.timestamp) return;
    this.options.logger.info(
      { checked_by: round.checkedBy, age_s: Math.round((Date.now() - round.timestamp) / 100) / 10 },
      'using cached health check results',
    );
    this.options.deliver(round, 'adopted');
    for (const wake of [...this.wakeups]) wake();
  }
}
