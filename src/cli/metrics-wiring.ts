import type { Config, Deployment, StartOptions } from '../config/index.js';
import { GatewayError, VERSION, type Logger } from '../core/index.js';
import { PrimaryMetrics, serveMetricsPort, WorkerMetrics } from '../metrics/index.js';
import type { HealthObserver } from '../health/index.js';
import { ModelGroupResolver } from '../router/index.js';
// The key check alone, not the server's index: the primary never loads the HTTP server.
import { KeyCheck } from '../server/auth.js';
import type { Supervisor, WorkerLink, WorkerRecord } from '../supervisor/index.js';

/** How long a draining worker waits for the primary to acknowledge its last metrics push. */
const FINAL_FLUSH_TIMEOUT_MS = 2_000;

/** A worker's metrics, linked to the primary: periodic pushes, scrape answers, the final flush. */
export function wireWorkerMetrics(link: WorkerLink, config: Config, logger: Logger): { metrics: WorkerMetrics; beforeExit: () => Promise<void> } {
  const resolver = new ModelGroupResolver(config.modelGroups);
  const metrics = new WorkerMetrics({
    channel: { send: (message, then) => link.send(message, then), connected: () => process.connected === true },
    modelGroups: config.modelGroups,
    resolveModelGroup: (name) => resolver.resolve(name)?.group,
  });
  link.on('metrics-ack', (message) => metrics.receive(message));
  link.on('metrics-text', (message) => metrics.receive(message));
  metrics.start();
  const beforeExit = async () => {
    if (!(await metrics.flushFinal(FINAL_FLUSH_TIMEOUT_MS))) {
      logger.warn({ timeout_ms: FINAL_FLUSH_TIMEOUT_MS }, 'metrics: the primary did not acknowledge the final push; exiting anyway');
    }
  };
  return { metrics, beforeExit };
}

export interface PrimaryMetricsSetup {
  metrics: PrimaryMetrics<WorkerRecord>;
  /** Hooks for the Supervisor's options. */
  hooks: { onWorkerMessage: PrimaryMetrics<WorkerRecord>['onWorkerMessage']; onWorkerExit: PrimaryMetrics<WorkerRecord>['onWorkerExit'] };
  /** Once the supervisor exists: links it, and serves --prometheus_metrics_port if set (throws if it cannot listen). */
  start(supervisor: Supervisor): Promise<void>;
}

/** The primary's metrics owner; undefined when metrics are off. */
export async function createPrimaryMetrics(options: StartOptions, config: Config, logger: Logger): Promise<PrimaryMetricsSetup | undefined> {
  if (options.metricsDisabled) return undefined;
  const metrics = await PrimaryMetrics.create<WorkerRecord>({ logger, version: VERSION, deployments: config.deployments });
  const keys = new KeyCheck(config.metricsRequireAuth ? config.masterKey : undefined);
  return {
    metrics,
    hooks: { onWorkerMessage: metrics.onWorkerMessage, onWorkerExit: metrics.onWorkerExit },
    async start(supervisor) {
      metrics.attach({ workers: () => supervisor.registry.all(), send: (worker, message) => supervisor.send(worker, message) });
      const port = options.prometheusMetricsPort;
      if (port === undefined) return;
      await serveMetricsPort({
        host: options.host,
        port,
        logger,
        render: () => metrics.render(),
        authorize: (headers) => {
          try {
            keys.verify(headers);
            return undefined;
          } catch (error) {
            if (error instanceof GatewayError) return { status: error.status, body: error.toOpenAIBody() };
            throw error;
          }
        },
      });
      logger.info({ host: options.host, port }, 'metrics: serving /metrics from the primary');
    },
  };
}

/** The health checks as metrics: probes counted and timed, each round's verdict as deployment state. */
export function healthMetricsObserver(metrics: PrimaryMetrics<WorkerRecord>, deployments: () => readonly Deployment[]): HealthObserver {
  return {
    onProbe: ({ deployment, healthy, durationMs }) => metrics.recordHealthCheck({ modelGroup: deployment.modelName, deployment: deployment.id, healthy, durationMs }),
    onRound: ({ results }) => {
      const byId = new Map(deployments().map((d) => [d.id, d]));
      for (const result of results) {
        const deployment = byId.get(result.id);
        if (deployment) metrics.setDeploymentHealth(deployment.modelName, deployment.id, result.healthy ? 0 : 2);
      }
    },
  };
}
