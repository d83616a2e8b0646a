import { formatProblem, loadConfigFile, readTestHooks, readWorkerIdentity, type StartOptions } from '../config/index.js';
import { createLogger } from '../core/index.js';
import { PriceBook } from '../cost/index.js';
import { WorkerHealth } from '../health/index.js';
import { drainServer, shedConnections, startServer, StartupError } from '../server/index.js';
import { VirtualKeys } from '../keys/index.js';
import { HostCounter } from '../limits/index.js';
import { SpendLogs } from '../spend/index.js';
import { WorkerLink } from '../supervisor/index.js';
import { wireWorkerMetrics } from './metrics-wiring.js';
import type { WorkerBoot } from './worker-entry.js';

/** How long a draining worker keeps trying to write its last spend rows (PostgreSQL down) before it exits. */
const SPEND_FINAL_FLUSH_MS = 5_000;

/**
 * A worker process: loads the config, serves HTTP on the shared port, and links to the primary.
 * This is the one place the server and the supervisor's worker link meet (neither imports the other).
 */
export async function runWorker(options: StartOptions, configPath: string, boot: WorkerBoot = {}): Promise<void> {
  const identity = readWorkerIdentity();
  const logger = createLogger({ level: options.logLevel, pretty: process.stdout.isTTY === true, buffered: true, base: { role: 'worker', slot: identity.slot } });
  const link = new WorkerLink(identity, readTestHooks(), logger, options.gracefulTimeoutMs);

  const loaded = loadConfigFile(configPath);
  if (!loaded.ok) {
    link.bootFailed('invalid config', loaded.problems.map(formatProblem));
    return;
  }
  const config = loaded.value.config;
  const metrics = options.metricsDisabled ? undefined : wireWorkerMetrics(link, config, logger);
  const recorder = metrics?.metrics;
  // Spend rows go to PostgreSQL from each worker, batched; nothing on the request path waits for it.
  const database = config.database;
  // The client library is loaded only when there is a database (see db/index.ts).
  const db = database === undefined ? undefined : (await import('../db/postgres-client.js')).createPostgresClient(database.url, logger);
  // With disable_spend_logs the writer still adds each call's cost to its key, team and user (no log rows).
  const spend = db === undefined ? undefined : new SpendLogs(db, logger, { observer: recorder?.spendLogObserver, keepRows: database?.spendLogs !== false });
  // Virtual keys need the master key too (as in LiteLLM): without one, every request is let in.
  const keys = db === undefined || config.masterKey === undefined ? undefined : new VirtualKeys({
    db, logger, redis: config.redis, cacheTtlMs: database?.keyCacheTtlMs, budgetResetIntervalMs: database?.budgetResetIntervalMs,
  });
  keys?.start();
  // While Redis is away, a virtual key's limits are counted once per host, by the primary.
  const hostLimits = keys === undefined ? undefined : new HostCounter({ send: (message) => link.send(message), connected: () => process.connected === true });
  if (hostLimits !== undefined) link.on('limits-verdict', (message) => hostLimits.receive(message));
  // Health results and worker counts come from the primary; the server answers with them.
  const health = new WorkerHealth({ config, configuredWorkers: options.numWorkers });
  link.on('health-results', (message) => health.onMessage(message));
  link.on('workers-ready', (message) => health.onMessage(message));
  try {
    // Resolved by the primary with the price library, which a worker never loads (cost/primary.ts).
    const prices = new PriceBook(await link.prices());
    const server = await startServer({
      config,
      options,
      logger,
      health,
      testHooks: readTestHooks().enabled,
      listenOn: link.listenOn(),
      onRequestStart: recorder === undefined
        ? (state) => link.noteRequest(state.served)
        : (state) => {
          recorder.requestStarted();
          link.noteRequest(state.served);
        },
      onRequestEnd: recorder && ((ctx, status, route) => recorder.requestEnded(ctx, status, route)),
      onCacheStored: recorder && ((group, type, bytes) => recorder.cacheStored(group, type, bytes)),
      metrics: recorder,
      prices,
      spend,
      keys,
      routerObserver: recorder?.routerObserver,
      limitObserver: recorder?.limitObserver,
      hostLimits,
    });
    if (server.redisAvailable !== undefined) recorder?.watchRedis(server.redisAvailable);
    link.attach({
      stats: () => ({ served: server.state.served, inFlight: server.state.active.size }),
      drain: (timeoutMs) => drainServer(server.server, server.state, timeoutMs),
      // The spend rows first: the metrics' final push then carries their counts.
      beforeExit: async () => {
        // Budget blocks still open go back to Redis or the primary with what their calls cost.
        await server.settleLimits();
        hostLimits?.close();
        await keys?.close();
        await spend?.close(SPEND_FINAL_FLUSH_MS);
        await metrics?.beforeExit();
      },
      rebalance: (share) => shedConnections(server.state, share),
    });
    link.on('reload-accepted', (message) => {
      // The new config's deployments (new ids where an entry changed, its price included) at the primary's prices.
      prices.add(message.prices);
      const next = loadConfigFile(configPath);
      const problems = next.ok ? server.serveNewGroupsFrom(next.value.config) : next.problems.map(formatProblem);
      if (problems.length > 0) logger.warn({ problems }, 'reload: this worker keeps its config until replaced');
      else logger.debug('reload: new model groups served from the new config until this worker is replaced');
    });
    link.on('stopping', () => {
      server.state.stopping = true;
    });
    link.ready(server.port, boot.codeCache);
  } catch (error) {
    if (error instanceof StartupError) link.bootFailed(error.message, [...error.problems]);
    else link.bootFailed(error instanceof Error ? error.message : String(error));
  }
}
