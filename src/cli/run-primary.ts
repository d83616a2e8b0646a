import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatProblem, loadConfigFile, readTestHooks, type Config, type StartOptions } from '../config/index.js';
import { createLogger, VERSION } from '../core/index.js';
import type { DeploymentPrices } from '../cost/index.js';
import { resolvePrices, unpricedWarning } from '../cost/primary.js';
import { HostHealth } from '../health/index.js';
import { HostLimits } from '../limits/index.js';
import { buildDeploymentClients, unimplementedProviderWarning } from '../providers/index.js';
import { openListenSocket, Supervisor, type ConfigCheck } from '../supervisor/index.js';
import { createPrimaryMetrics, healthMetricsObserver } from './metrics-wiring.js';

interface ConfigReport {
  check: ConfigCheck;
  /** Deployments and model groups, counted even for an invalid config from what it holds. */
  summary: { deployments: number; modelGroups: number } | undefined;
  /** The loaded config, when it loaded (the primary's own parts run with it). */
  config?: Config;
  /** Its deployments' prices, resolved with the price library (the workers get them over IPC). */
  prices?: DeploymentPrices;
}

/** Everything that would stop a worker from starting with this config file, without starting one. */
function reportConfig(configPath: string): ConfigReport {
  const loaded = loadConfigFile(configPath);
  if (!loaded.ok) {
    return { check: { ok: false, problems: loaded.problems.map(formatProblem), warnings: [...loaded.warnings] }, summary: loaded.summary };
  }
  const { config } = loaded.value;
  const warnings = [...loaded.value.warnings];
  const providerWarning = unimplementedProviderWarning(config);
  if (providerWarning) warnings.push(providerWarning);
  const prices = resolvePrices(config.deployments);
  const priceWarning = unpricedWarning(config, prices);
  if (priceWarning) warnings.push(priceWarning);
  const problems = buildDeploymentClients(config).problems.map(formatProblem);
  const summary = { deployments: config.deployments.length, modelGroups: config.modelGroups.length };
  return { check: problems.length > 0 ? { ok: false, problems, warnings } : { ok: true, warnings }, summary, config, prices };
}

export function checkConfig(configPath: string): ConfigCheck {
  return reportConfig(configPath).check;
}

/** `--validate_config`: every problem with its key path, the warnings, a summary; exit 0 or 1. */
export function validateConfigCommand(configPath: string): number {
  const { check, summary } = reportConfig(configPath);
  const problems = check.ok ? [] : check.problems;
  const out: string[] = [`config: ${configPath}`];
  for (const problem of problems) out.push(`error: ${problem}`);
  for (const warning of check.warnings) out.push(`warning: ${warning}`);
  if (summary) {
    const { deployments, modelGroups } = summary;
    out.push(`${deployments} deployment${deployments === 1 ? '' : 's'} in ${modelGroups} model group${modelGroups === 1 ? '' : 's'}`);
  }
  out.push(problems.length === 0 ? 'config is valid' : `config is invalid: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  process.stdout.write(out.join('\n') + '\n');
  return problems.length === 0 ? 0 : 1;
}

/** The primary: the config is checked once here, then the supervisor forks and tends the workers. */
export async function runPrimary(options: StartOptions, configPath: string): Promise<number> {
  const logger = createLogger({ level: options.logLevel, pretty: process.stdout.isTTY === true, base: { role: 'primary' } });
  for (const warning of options.warnings) logger.warn(warning);
  const { check, config, prices: startPrices } = reportConfig(configPath);
  for (const warning of check.warnings) logger.warn({ config: configPath }, warning);
  if (!check.ok) {
    logger.fatal({ config: configPath, problems: check.problems }, 'invalid config; not starting');
    return 1;
  }
  if (config === undefined || startPrices === undefined) throw new Error('a valid config report carries the config');
  let prices = startPrices;
  logger.info({ version: VERSION, config: configPath, workers: options.numWorkers, port: options.port }, 'switchyard starting');
  const metrics = await createPrimaryMetrics(options, config, logger);
  // One health-check schedule per host, here in the primary; workers get each round's results.
  let deployments = config.deployments;
  const health = new HostHealth({
    config, logger, configuredWorkers: options.numWorkers,
    broadcast: (message) => supervisor.broadcast(message),
    readyWorkers: () => supervisor.readyCount(),
    observer: metrics && healthMetricsObserver(metrics.metrics, () => deployments),
  });
  // Held here for the host's life, so that no moment without a worker refuses connections.
  const listenSocket = await openListenSocket(options.host, options.port);
  // A virtual key's limits while Redis is away: one count for the host, kept here (limits/host-limits.ts).
  const hostLimits = new HostLimits();
  const supervisor = new Supervisor({
    options,
    logger,
    listenSocket,
    workerScript: workerBundle(),
    checkConfig: () => {
      const report = reportConfig(configPath);
      if (report.check.ok && report.config !== undefined && report.prices !== undefined) {
        deployments = report.config.deployments;
        prices = report.prices;
        metrics?.metrics.setDeployments(report.config.deployments);
        void health.reload(report.config);
      }
      return report.check;
    },
    prices: () => prices,
    onWorkerMessage: (record, message) => {
      metrics?.hooks.onWorkerMessage(record, message);
      if (message.type === 'ready') health.workerReady((reply) => supervisor.send(record, reply));
      else if (message.type === 'limits-batch' || message.type === 'limits-spent' || message.type === 'limits-renew') hostLimits.handle(message, (reply) => supervisor.send(record, reply));
    },
    onWorkerExit: (record, reason) => {
      metrics?.hooks.onWorkerExit(record, reason);
      health.workersChanged();
    },
    onShutdown: () => void health.stop(),
  });
  try {
    await metrics?.start(supervisor);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${code ?? (error as Error).message})`;
    logger.fatal({ port: options.prometheusMetricsPort, host: options.host }, `--prometheus_metrics_port ${options.prometheusMetricsPort} on ${options.host} ${why}; not starting`);
    return 1;
  }
  health.start();
  return supervisor.run();
}

/** The worker bundle's loader (scripts/bundle-worker.mjs builds it), or undefined to fork the CLI itself. */
function workerBundle(): string | undefined {
  if (readTestHooks().unbundled) return undefined;
  const loader = fileURLToPath(new URL('../bundle/worker.cjs', import.meta.url));
  return existsSync(loader) && existsSync(fileURLToPath(new URL('../bundle/worker-app.cjs', import.meta.url))) ? loader : undefined;
}
