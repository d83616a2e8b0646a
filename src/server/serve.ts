import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config, StartOptions } from '../config/index.js';
import { VERSION, type Logger } from '../core/index.js';
import { WorkerHealth } from '../health/index.js';
import { buildDeploymentClients } from '../providers/index.js';
import { RedisConnection } from '../redis/index.js';
import { Router, type RouterObserver } from '../router/index.js';
import { buildApp, type AppDeps } from './app.js';
import { createServerState, type ServerState } from './server-state.js';

export class StartupError extends Error {
  constructor(message: string, readonly problems: readonly string[] = []) {
    super(message);
    this.name = 'StartupError';
  }
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly state: ServerState;
  readonly router: Router;
  readonly port: number;
}

export interface ServeOptions {
  config: Config;
  options: StartOptions;
  logger: Logger;
  onRequestStart?: AppDeps['onRequestStart'];
  onRequestEnd?: AppDeps['onRequestEnd'];
  /** GET /metrics; undefined when metrics are off. */
  metrics?: AppDeps['metrics'];
  /** Watches the router (the metrics count attempts, retries, fallbacks, cooldowns). */
  routerObserver?: RouterObserver;
  /** Health results pushed by the primary; a worker without a primary gets one of its own. */
  health?: WorkerHealth;
  /** Registers the test-only routes (SWITCHYARD_TEST_HOOKS=1); never on in production. */
  testHooks?: boolean;
}

/** Builds the app for this process and listens; a port in use is a StartupError, never a silent move. */
export async function startServer(serve: ServeOptions): Promise<RunningServer> {
  const { config, options, logger } = serve;
  const { clients, problems } = buildDeploymentClients(config);
  if (problems.length > 0) {
    throw new StartupError('invalid config', problems.map((p) => `${p.path}: ${p.message}`));
  }
  const tls = readTls(options);
  // Redis is optional and never awaited: routing starts locally and shares state once connected.
  const redis = config.redis === undefined ? undefined : new RedisConnection(config.redis, { logger, purpose: 'router' });
  redis?.start();
  const router = new Router(config, clients, { logger, redis, observer: serve.routerObserver });
  const health = serve.health ?? new WorkerHealth({ config, configuredWorkers: options.numWorkers });
  health.attach({ router, redis });
  const state = createServerState();
  const app = buildApp({
    config,
    router,
    logger,
    state,
    health,
    version: VERSION,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    tls,
    onRequestStart: serve.onRequestStart,
    onRequestEnd: serve.onRequestEnd,
    metrics: serve.metrics,
    testHooks: serve.testHooks ?? false,
  });
  app.addHook('onClose', async () => {
    router.close();
    await redis?.close();
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close(); // releases the Redis connection, which would keep the process alive
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${options.port} on ${options.host} is already in use; stop what holds it or choose another --port`);
    if (code === 'EACCES') throw new StartupError(`not allowed to listen on port ${options.port} on ${options.host}`);
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`cannot listen on ${options.host}: no such local address`);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return { app, state, router, port };
}

function readTls(options: StartOptions): { key: Buffer; cert: Buffer } | undefined {
  if (options.sslKeyfilePath === undefined || options.sslCertfilePath === undefined) return undefined;
  try {
    return { key: readFileSync(options.sslKeyfilePath), cert: readFileSync(options.sslCertfilePath) };
  } catch (error) {
    throw new StartupError(`cannot read TLS files: ${(error as Error).message}`);
  }
}
