import type { Config, Deployment } from '../config/index.js';
import { GatewayError, type CancelSignal } from '../core/index.js';
import { buildDeploymentClients, type DeploymentClient } from '../providers/index.js';
import type { RedisConnection } from '../redis/index.js';
import { isProbeable, isScheduled } from './deployment-probe.js';
import { buildReport, type HealthReport } from './health-report.js';
import { NO_HEALTH_OBSERVER, type HealthObserver } from './health-observer.js';
import type { DeploymentHealth, HealthPrimaryMessage, HealthRound } from './health-types.js';
import { probeAll } from './probe-round.js';
import { readSharedStatus, type SharedStatusBody } from './shared-status.js';

/** Where health reaches routing: the router's `setDeploymentHealth` (health does not import the router). */
export interface HealthSink {
  setDeploymentHealth(id: string, healthy: boolean): void;
}

export interface HealthQuery {
  model?: string;
  modelId?: string;
}

/** What the health routes of a worker ask. */
export interface HealthEndpoints {
  /** `GET /health`; throws a 404 GatewayError for an unknown model or model id. */
  report(query: HealthQuery, signal: CancelSignal): Promise<HealthReport>;
  /**
   * What `/health/readiness` adds: Redis as a PING sees it now (within the command timeout; null:
   * not configured) and workers ready.
   */
  readiness(): Promise<{ redis: 'connected' | 'unavailable' | null; workers: { ready: number | null; configured: number } }>;
  sharedStatus(): Promise<SharedStatusBody>;
}

export interface WorkerHealthOptions {
  config: Config;
  /** Workers the host runs (from the start options). */
  configuredWorkers: number;
  observer?: HealthObserver;
}

/**
 * A worker's view of health: the results the primary pushes (applied to routing as they arrive,
 * so every worker routes by the same results), the answers of the health endpoints, and on-demand
 * probes when background checks are off.
 */
export class WorkerHealth implements HealthEndpoints {
  private podId: string | null = null;
  private latest: HealthRound | undefined;
  private readyWorkers: number | null = null;
  private sink: HealthSink | undefined;
  private redis: RedisConnection | undefined;
  private clients: Map<string, DeploymentClient> | undefined;
  private readonly byId: Map<string, Deployment>;
  private readonly scheduled: readonly Deployment[];
  private readonly observer: HealthObserver;

  constructor(private readonly options: WorkerHealthOptions) {
    this.byId = new Map(options.config.deployments.map((d) => [d.id, d]));
    this.scheduled = options.config.deployments.filter(isScheduled);
    this.observer = options.observer ?? NO_HEALTH_OBSERVER;
  }

  /** Routing and Redis arrive once the server exists; results received before are applied then. */
  attach(parts: { router: HealthSink; redis: RedisConnection | undefined }): void {
    this.sink = parts.router;
    this.redis = parts.redis;
    if (this.latest !== undefined) this.applyToRouting(this.latest);
  }

  /** A message from the primary. */
  onMessage(message: HealthPrimaryMessage): void {
    if (message.type === 'workers-ready') {
      this.readyWorkers = message.ready;
      return;
    }
    this.podId = message.podId;
    if (message.round === null) return;
    this.latest = message.round;
    this.applyToRouting(message.round);
  }

  async report(query: HealthQuery, signal: CancelSignal): Promise<HealthReport> {
    const targets = this.targets(query);
    const targeted = query.model !== undefined || query.modelId !== undefined;
    const { config } = this.options;
    const results = new Map<string, DeploymentHealth>();
    let round: Pick<HealthRound, 'timestamp' | 'checkedBy'> | undefined;
    let toProbe: Deployment[];
    if (config.health.backgroundChecks) {
      // The latest round, never a probe; except deployments the schedule skips, when asked for.
      round = this.latest;
      for (const result of this.latest?.results ?? []) results.set(result.id, result);
      toProbe = targeted ? targets.filter((d) => isProbeable(d) && !isScheduled(d)) : [];
    } else {
      toProbe = targets.filter(isProbeable);
    }
    if (toProbe.length > 0) {
      const clients = toProbe.map((d) => this.clientFor(d));
      for (const probe of await probeAll(clients, config.health, { signal, observer: this.observer })) {
        results.set(probe.deployment.id, { id: probe.deployment.id, healthy: probe.healthy, error: probe.error });
      }
      if (!config.health.backgroundChecks) round = { timestamp: Date.now(), checkedBy: this.podId ?? 'this host' };
    }
    return buildReport({ deployments: targets, results, details: config.health.details, targeted, round, now: Date.now() });
  }

  async readiness(): ReturnType<HealthEndpoints['readiness']> {
    const redis = this.options.config.redis === undefined ? null : (await this.redis?.ping()) ? 'connected' : 'unavailable';
    return { redis, workers: { ready: this.readyWorkers, configured: this.options.configuredWorkers } };
  }

  sharedStatus(): Promise<SharedStatusBody> {
    return readSharedStatus(this.options.config, this.scheduled, this.podId, this.redis);
  }

  /** Every configured deployment gets the round's verdict; one the round did not cover counts as healthy. */
  private applyToRouting(round: HealthRound): void {
    if (this.sink === undefined) return;
    const verdicts = new Map(round.results.map((r) => [r.id, r.healthy]));
    for (const id of this.byId.keys()) this.sink.setDeploymentHealth(id, verdicts.get(id) ?? true);
  }

  private targets(query: HealthQuery): Deployment[] {
    let targets = [...this.options.config.deployments];
    if (query.modelId !== undefined) {
      const deployment = this.byId.get(query.modelId);
      if (deployment === undefined) throw new GatewayError('not_found', `No deployment has model_info.id "${query.modelId}".`, { param: 'model_id' });
      targets = [deployment];
    }
    if (query.model !== undefined) {
      const model = query.model;
      const matching = targets.filter((d) => d.modelName === model || `${d.provider}/${d.model}` === model);
      if (matching.length === 0) {
        const known = this.options.config.deployments.some((d) => d.modelName === model || `${d.provider}/${d.model}` === model);
        throw new GatewayError(known ? 'not_found' : 'model_not_found', known
          ? `Deployment "${query.modelId}" is not a deployment of model "${model}".`
          : `No model_name or model "${model}" in the model list.`, { param: 'model' });
      }
      targets = matching;
    }
    return targets;
  }

  private clientFor(deployment: Deployment): DeploymentClient {
    this.clients ??= new Map(buildDeploymentClients(this.options.config).clients.map((c) => [c.deployment.id, c]));
    const client = this.clients.get(deployment.id);
    if (client === undefined) throw new GatewayError('internal_error', `no client for deployment ${deployment.id}`);
    return client;
  }
}
