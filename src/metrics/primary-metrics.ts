import type { Registry } from 'prom-client';
import type { Logger } from '../core/index.js';
import { renderFamilies } from './exposition.js';
import { MetricsAggregator } from './metrics-aggregator.js';
import type { MetricsPrimaryMessage, MetricsPushMessage, MetricsScrapeMessage } from './metrics-messages.js';

/** The primary's view of a worker (the supervisor's WorkerRecord has these fields). */
export interface WorkerView {
  readonly pid: number;
  readonly slot: number;
  readonly state: string;
  /** Why the primary drained it (recycle reason or shutdown), when it did. */
  readonly drainReason?: string;
  /** Its request limit (max_requests_before_restart + jitter), if any. */
  readonly limit?: number;
}

export interface PrimaryMetricsOptions {
  logger: Logger;
  version: string;
  /** The config's deployments: their state series exist from the start. */
  deployments: ReadonlyArray<{ readonly id: string; readonly modelName: string }>;
}

export interface PrimaryMetricsLink<W extends WorkerView> {
  workers(): readonly W[];
  send(worker: W, message: MetricsPrimaryMessage): void;
}

const RESTART_REASONS = new Set(['max_requests', 'memory', 'reload', 'hung', 'crash']);
const DRAIN_REASONS = ['max_requests', 'memory', 'reload', 'shutdown'];
const WORKER_STATES = ['booting', 'ready', 'draining'] as const;

/**
 * The primary's metrics: applies the workers' pushes, answers their scrape requests and their
 * final pushes, turns supervisor events into worker metrics, takes the health checks' results,
 * and renders the host's exposition text (plus the primary's own process metrics).
 */
export class PrimaryMetrics<W extends WorkerView = WorkerView> {
  readonly aggregator = new MetricsAggregator();
  private link: PrimaryMetricsLink<W> | undefined;
  private rejectedLogged = 0;

  /** prom-client is loaded here, in the primary only: workers never pay for it. */
  static async create<W extends WorkerView>(options: PrimaryMetricsOptions): Promise<PrimaryMetrics<W>> {
    const { Registry, collectDefaultMetrics } = await import('prom-client');
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters (promtool rejects them); the same numbers stay without the suffix.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
    return new PrimaryMetrics<W>(options, registry);
  }

  private constructor(private readonly options: PrimaryMetricsOptions, private readonly registry: Registry) {
    this.aggregator.setPrimaryGauge('switchyard_build_info', [options.version], 1);
    for (const reason of RESTART_REASONS) this.aggregator.addCounter('switchyard_worker_restarts_total', [reason], 0);
    for (const reason of DRAIN_REASONS) this.aggregator.addCounter('switchyard_drain_ended_requests_total', [reason], 0);
    this.setDeployments(options.deployments);
  }

  /** The supervisor, once it exists: who the workers are and how to answer one. */
  attach(link: PrimaryMetricsLink<W>): void {
    this.link = link;
  }

  /** After a reload: the new config's deployments. */
  setDeployments(deployments: ReadonlyArray<{ readonly id: string; readonly modelName: string }>): void {
    this.aggregator.setDeployments(deployments.map((d) => [d.modelName, d.id] as const));
  }

  /** Supervisor hook: every message from a worker (metrics pushes and scrapes, pongs). */
  readonly onWorkerMessage = (worker: W, message: { type: string }): void => {
    switch (message.type) {
      case 'metrics-push': return this.onPush(worker, message as MetricsPushMessage);
      case 'metrics-scrape': return void this.onScrape(worker, message as MetricsScrapeMessage);
      case 'pong': return this.onPong(worker, message as { type: 'pong'; stats?: { rssBytes?: unknown; eventLoopLagMs?: unknown } });
      case 'drained': return this.onDrained(worker, message as { type: 'drained'; forced?: unknown; servedAtStart?: unknown });
      default: return;
    }
  };

  /** Supervisor hook: a worker process is gone. Its gauge shares go; a replacement is counted by reason. */
  readonly onWorkerExit = (worker: W, reason: string): void => {
    this.aggregator.workerGone(worker.pid);
    const restart = reason === 'drained' ? worker.drainReason : reason;
    if (restart !== undefined && RESTART_REASONS.has(restart)) this.aggregator.addCounter('switchyard_worker_restarts_total', [restart], 1);
  };

  /** For the health scheduler's observer: one background check done. */
  recordHealthCheck(check: { modelGroup: string; deployment: string; healthy: boolean; durationMs: number }): void {
    const labels = [check.modelGroup, check.deployment];
    this.aggregator.addCounter('switchyard_health_checks_total', [...labels, check.healthy ? 'healthy' : 'unhealthy'], 1);
    this.aggregator.observe('switchyard_health_check_duration_seconds', labels, check.durationMs / 1000);
  }

  /** For the health scheduler's observer: 0 healthy, 1 partial, 2 outage; undefined when it no longer knows. */
  setDeploymentHealth(modelGroup: string, deployment: string, state: 0 | 1 | 2 | undefined): void {
    this.aggregator.setHealthState(modelGroup, deployment, state);
  }

  /** The host's exposition text (format 0.0.4). */
  async render(): Promise<string> {
    const counts = new Map<string, number>(WORKER_STATES.map((s) => [s, 0]));
    for (const worker of this.link?.workers() ?? []) counts.set(worker.state, (counts.get(worker.state) ?? 0) + 1);
    for (const state of WORKER_STATES) this.aggregator.setPrimaryGauge('switchyard_workers', [state], counts.get(state) ?? 0);
    this.logRejected();
    return renderFamilies(this.aggregator.families()) + (await this.registry.metrics());
  }

  private onPush(worker: W, message: MetricsPushMessage): void {
    this.aggregator.apply(worker.pid, message.delta);
    if (message.final) this.link?.send(worker, { type: 'metrics-ack', seq: message.seq });
  }

  private async onScrape(worker: W, message: MetricsScrapeMessage): Promise<void> {
    this.aggregator.apply(worker.pid, message.delta);
    try {
      this.link?.send(worker, { type: 'metrics-text', id: message.id, text: await this.render() });
    } catch (error) {
      // Unanswered, the worker's bounded wait ends in a 503 that says so.
      this.options.logger.error({ err: error }, 'metrics: rendering failed');
    }
  }

  /** A drain's end: the requests it had to cut, and for a max_requests recycle how far past its limit the worker went. */
  private onDrained(worker: W, message: { forced?: unknown; servedAtStart?: unknown }): void {
    const reason = worker.drainReason;
    if (reason === undefined) return;
    if (typeof message.forced === 'number' && message.forced > 0) this.aggregator.addCounter('switchyard_drain_ended_requests_total', [reason], message.forced);
    if (reason === 'max_requests' && worker.limit !== undefined && typeof message.servedAtStart === 'number') {
      this.aggregator.observe('switchyard_recycle_overshoot_requests', [], Math.max(0, message.servedAtStart - worker.limit));
    }
  }

  private onPong(worker: W, message: { stats?: { rssBytes?: unknown; eventLoopLagMs?: unknown } }): void {
    const slot = String(worker.slot);
    const rss = message.stats?.rssBytes;
    const lag = message.stats?.eventLoopLagMs;
    if (typeof rss === 'number') this.aggregator.setWorkerGauge(worker.pid, 'switchyard_worker_resident_memory_bytes', [slot], rss);
    if (typeof lag === 'number') this.aggregator.setWorkerGauge(worker.pid, 'switchyard_worker_event_loop_lag_seconds', [slot], lag / 1000);
  }

  private logRejected(): void {
    const rejected = this.aggregator.rejectedEntries;
    if (rejected === this.rejectedLogged) return;
    this.options.logger.warn({ entries: rejected - this.rejectedLogged }, 'metrics: worker entries that do not fit the catalogue were skipped');
    this.rejectedLogged = rejected;
  }
}

