import type { Config, Deployment } from '../config/index.js';
import type { Logger } from '../core/index.js';
import { buildDeploymentClients, type DeploymentClient } from '../providers/index.js';
import { isProbeable, isScheduled } from './deployment-probe.js';
import { FixedRateSchedule } from './fixed-rate-schedule.js';
import { NO_HEALTH_OBSERVER, type HealthObserver } from './health-observer.js';
import type { DeploymentHealth, HealthPrimaryMessage, HealthRound } from './health-types.js';
import { makePodId } from './pod-id.js';
import { probeAll } from './probe-round.js';
import { SharedCoordinator } from './shared-coordinator.js';
import { effectiveResultsTtlMs, sharedChecksEnabled } from './shared-status.js';

export interface HostHealthOptions {
  config: Config;
  logger: Logger;
  /** Workers the host is configured to run (readiness reports ready out of these). */
  configuredWorkers: number;
  /** Sends to every worker (the supervisor's broadcast). */
  broadcast(message: HealthPrimaryMessage): void;
  /** Workers ready now (the supervisor's count). */
  readyWorkers(): number;
  observer?: HealthObserver;
}

/** How long stop() waits for a cancelled round to release the lock before closing Redis. */
const STOP_GRACE_MS = 1_000;

/**
 * The host's health checks, run once per host in the primary: the schedule, the probes (or the
 * cluster's shared results), and the push of every round's results to every worker, so that
 * `/health` and routing agree on every worker. Also tells workers how many of them are ready.
 */
export class HostHealth {
  readonly podId = makePodId();
  private config: Config;
  private latest: HealthRound | undefined;
  private schedule: FixedRateSchedule | undefined;
  private shared: SharedCoordinator | undefined;
  private controller = new AbortController();
  private current: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly observer: HealthObserver;

  constructor(private readonly options: HostHealthOptions) {
    this.config = options.config;
    this.logger = options.logger.child({ part: 'health' });
    this.observer = options.observer ?? NO_HEALTH_OBSERVER;
  }

  start(): void {
    const { config } = this;
    const health = config.health;
    this.warnAboutSettings();
    if (!health.backgroundChecks) return;
    const clients = buildDeploymentClients(config).clients.filter((c) => isScheduled(c.deployment));
    if (clients.length === 0) {
      this.logger.info('background health checks are on but no deployment is scheduled for them');
      return;
    }
    const scheduled = clients.map((c) => c.deployment);
    const probe = (signal: AbortSignal) => this.probe(clients, signal);
    if (sharedChecksEnabled(config) && config.redis !== undefined) {
      this.shared = new SharedCoordinator({
        redisSettings: config.redis,
        scheduled,
        podId: this.podId,
        intervalMs: health.intervalMs,
        lockTtlMs: health.sharedLockTtlMs,
        resultsTtlMs: this.resultsTtlMs(),
        logger: this.logger,
        probe,
        deliver: (round, source) => this.deliver(round, source),
        latest: () => this.latest,
      });
      this.shared.start();
    }
    const shared = this.shared;
    this.schedule = new FixedRateSchedule(health.intervalMs, (tickAt) => {
      const signal = this.controller.signal;
      const round = shared !== undefined ? shared.run(tickAt, signal) : this.localRound(tickAt, probe, signal);
      this.current = round;
      return round;
    }, this.logger);
    this.logger.info({ deployments: scheduled.length, interval_s: health.intervalMs / 1000, shared: shared !== undefined, pod_id: this.podId }, 'background health checks scheduled');
    this.schedule.start();
  }

  /** A worker began listening: it gets the latest results now, and everyone the new count. */
  workerReady(send: (message: HealthPrimaryMessage) => void): void {
    send({ type: 'health-results', podId: this.podId, round: this.latest ?? null });
    // The supervisor counts the worker as ready right after this hook returns.
    queueMicrotask(() => this.workersChanged());
  }

  workersChanged(): void {
    this.options.broadcast({ type: 'workers-ready', ready: this.options.readyWorkers(), configured: this.options.configuredWorkers });
  }

  /** A new config (SIGHUP): the schedule starts over with it; results already pushed stay. */
  async reload(config: Config): Promise<void> {
    await this.stop();
    this.config = config;
    this.controller = new AbortController();
    this.start();
  }

  /** Stops the schedule, cancels a round in progress (releasing the lock) and closes Redis. */
  async stop(): Promise<void> {
    this.schedule?.stop();
    this.schedule = undefined;
    this.controller.abort();
    if (this.current !== undefined) await Promise.race([this.current.catch(() => undefined), sleep(STOP_GRACE_MS)]);
    this.current = undefined;
    await this.shared?.close();
    this.shared = undefined;
  }

  private async localRound(tickAt: number, probe: (signal: AbortSignal) => Promise<DeploymentHealth[]>, signal: AbortSignal): Promise<void> {
    const results = await probe(signal);
    if (!signal.aborted) this.deliver({ timestamp: tickAt, checkedBy: this.podId, results }, 'probed');
  }

  private async probe(clients: readonly DeploymentClient[], signal: AbortSignal): Promise<DeploymentHealth[]> {
    const started = performance.now();
    const results = await probeAll(clients, this.config.health, { signal, observer: this.observer });
    this.logger.debug({ deployments: results.length, duration_ms: Math.round(performance.now() - started) }, 'health check probes done');
    return results.map((r) => (r.healthy ? { id: r.deployment.id, healthy: true } : { id: r.deployment.id, healthy: false, error: r.error }));
  }

  private deliver(round: HealthRound, source: 'probed' | 'adopted'): void {
    this.logChanges(this.latest, round);
    this.latest = round;
    this.options.broadcast({ type: 'health-results', podId: this.podId, round });
    const healthy = round.results.filter((r) => r.healthy).length;
    this.observer.onRound?.({ source, checkedBy: round.checkedBy, results: round.results, healthy, unhealthy: round.results.length - healthy });
  }

  /** One line when a deployment turns unhealthy or recovers, not one per round. */
  private logChanges(previous: HealthRound | undefined, round: HealthRound): void {
    const before = new Map(previous?.results.map((r) => [r.id, r.healthy]));
    const byId = new Map<string, Deployment>(this.config.deployments.map((d) => [d.id, d]));
    for (const result of round.results) {
      const was = before.get(result.id) ?? true;
      if (was === result.healthy) continue;
      const deployment = byId.get(result.id);
      const fields = { deployment_id: result.id, model_group: deployment?.modelName, checked_by: round.checkedBy };
      if (result.healthy) this.logger.info(fields, 'deployment healthy again');
      else this.logger.warn({ ...fields, error: result.error }, 'deployment failed its health check');
    }
  }

  private resultsTtlMs(): number {
    const { sharedResultsTtlMs, intervalMs } = this.config.health;
    if (sharedResultsTtlMs < intervalMs) {
      this.logger.warn(
        { cache_ttl_s: sharedResultsTtlMs / 1000, interval_s: intervalMs / 1000 },
        'DEFAULT_SHARED_HEALTH_CHECK_TTL is shorter than health_check_interval; results are kept for the interval instead, or hosts ticking after they expire would probe again',
      );
    }
    return effectiveResultsTtlMs(this.config.health);
  }

  private warnAboutSettings(): void {
    const { config } = this;
    const { health } = config;
    if (health.shared && !health.backgroundChecks) {
      this.logger.warn('use_shared_health_check has no effect without general_settings.background_health_checks: true');
    } else if (health.shared && config.redis === undefined) {
      this.logger.warn('use_shared_health_check needs Redis (cache_params, router_settings.redis_*, REDIS_URL or REDIS_HOST); each host probes on its own');
    }
    if (config.router.healthCheckRouting && !health.backgroundChecks) {
      this.logger.warn('enable_health_check_routing has no effect without general_settings.background_health_checks: true');
    }
    const unprobeable = config.deployments.filter((d) => !isProbeable(d));
    if (health.backgroundChecks && unprobeable.length > 0) {
      this.logger.warn(
        { deployments: unprobeable.map((d) => `model_list[${d.index}] (${d.modelName}, mode ${d.info.mode})`) },
        'deployments without a health check: wildcard models need model_info.health_check_model; modes other than chat, completion and embedding have no probe',
      );
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
