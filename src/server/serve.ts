import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Config, StartOptions } from '../config/index.js';
import { VERSION, type Logger } from '../core/index.js';
import { WorkerHealth } from '../health/index.js';
import { buildDeploymentClients } from '../providers/index.js';
import { LimitGate, type LimitObserver, type LocalCounter } from '../limits/index.js';
import { RedisConnection } from '../redis/index.js';
import { Router, type RouterObserver } from '../router/index.js';
import { createRequestHandler, type AppDeps } from './app.js';
import { BodyBudget } from './http/body-budget.js';
import { answerClientError } from './http/client-errors.js';
import { enableMemoryRelease } from './http/memory-release.js';
import { createServerState, type ServerState } from './server-state.js';

export class StartupError extends Error {
  constructor(message: string, readonly problems: readonly string[] = []) {
    super(message);
    this.name = 'StartupError';
  }
}

export interface RunningServer {
  /** The HTTP(S) server; a drain closes it (see drain.ts). */
  readonly server: Server;
  readonly state: ServerState;
  readonly router: Router;
  readonly port: number;
  /** Whether this worker's Redis connection is up now; undefined when no Redis is configured. */
  readonly redisAvailable: (() => boolean) | undefined;
  /** Stops background work (router rounds) and the Redis connection. */
  close(): Promise<void>;
  /** A worker about to exit: virtual keys' open budget blocks settled, with Redis or the primary (limit-gate.ts). */
  settleLimits(): Promise<void>;
  /**
   * A reload was accepted: until this worker is replaced, the new config's model groups that
   * this one lacks are served from it (Router.adoptSuccessor). Returns the problems that kept it
   * from doing so (the reload itself goes on: replacements run the new config).
   */
  serveNewGroupsFrom(config: Config): string[];
}

export interface ServeOptions {
  config: Config;
  options: StartOptions;
  logger: Logger;
  onRequestStart?: AppDeps['onRequestStart'];
  onRequestEnd?: AppDeps['onRequestEnd'];
  onCacheStored?: AppDeps['onCacheStored'];
  /** GET /metrics; undefined when metrics are off. */
  metrics?: AppDeps['metrics'];
  /** Every deployment's price, as the primary resolved it (a worker never loads the price library). */
  prices: AppDeps['prices'];
  /** Spend logs in PostgreSQL (the worker's writer); undefined without a database. */
  spend?: AppDeps['spend'];
  /** Virtual keys (a database is configured). */
  keys?: AppDeps['keys'];
  /** Counts admissions and refusals at the virtual keys' limits (metrics). */
  limitObserver?: LimitObserver;
  /** The host's count of a virtual key's limits while Redis is away (the primary's); default this worker's own. */
  hostLimits?: LocalCounter;
  /** Watches the router (the metrics count attempts, retries, fallbacks, cooldowns). */
  routerObserver?: RouterObserver;
  /** Health results pushed by the primary; a worker without a primary gets one of its own. */
  health?: WorkerHealth;
  /** Registers the test-only routes (SWITCHYARD_TEST_HOOKS=1); never on in production. */
  testHooks?: boolean;
  /**
   * A listening socket to accept on (the primary's, passed over IPC), instead of binding host and
   * port; resolves to undefined to bind them after all.
   */
  listenOn?: Promise<object | undefined>;
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
  // Virtual keys' limits share the router's Redis connection (one per worker); without Redis the host's primary counts them.
  const limits = serve.keys === undefined ? undefined : new LimitGate({ redis, logger, observer: serve.limitObserver, local: serve.hostLimits });
  enableMemoryRelease();
  const state = createServerState();
  const handler = createRequestHandler({
    config,
    router,
    logger,
    state,
    health,
    bodyLimits: { maxBytes: config.maxRequestBytes, budget: new BodyBudget(options.maxBodyBytesInFlight) },
    version: VERSION,
    onRequestStart: serve.onRequestStart,
    onRequestEnd: serve.onRequestEnd,
    onCacheStored: serve.onCacheStored,
    metrics: serve.metrics,
    prices: serve.prices,
    spend: serve.spend,
    keys: serve.keys,
    limits,
    testHooks: serve.testHooks ?? false,
  });
  // Slow clients: node answers 408 when a request's headers, or the whole request, take longer than
  // these. Both run from the first byte of a request until its body has arrived, so they never cut
  // an answer (a long stream), nor an idle keep-alive connection (keepAliveTimeout bounds that).
  // Node checks every 30 s by default, which would stretch a 10 s limit to 40.
  const clientLimits = {
    headersTimeout: options.clientHeaderTimeoutMs,
    requestTimeout: options.clientRequestTimeoutMs,
    connectionsCheckingInterval: Math.min(CONNECTIONS_CHECK_MS, options.clientHeaderTimeoutMs),
  };
  // node:https (and tls under it) only when TLS is on: about 1 MB per worker otherwise.
  const server = tls === undefined
    ? createHttpServer(clientLimits, handler)
    : (await import('node:https')).createServer({ ...tls, ...clientLimits }, handler);
  // The socket a request sees: the TLS one for https (its 'connection' event gives the TCP one).
  server.on(tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    state.connections.add(socket);
    socket.once('close', () => state.connections.delete(socket));
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.maxConnections = options.maxConnectionsPerWorker;
  server.on('clientError', answerClientError);
  server.on('drop', noteDroppedConnection(logger));
  const close = async () => {
    router.close();
    await limits?.close();
    await redis?.close();
  };
  try {
    await listen(server, options.host, options.port, await serve.listenOn);
  } catch (error) {
    await close(); // releases the Redis connection, which would keep the process alive
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${options.port} on ${options.host} is already in use; stop what holds it or choose another --port`);
    if (code === 'EACCES') throw new StartupError(`not allowed to listen on port ${options.port} on ${options.host}`);
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`cannot listen on ${options.host}: no such local address`);
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const serveNewGroupsFrom = (next: Config): string[] => {
    const built = buildDeploymentClients(next);
    if (built.problems.length > 0) return built.problems.map((p) => `${p.path}: ${p.message}`);
    router.adoptSuccessor(new Router(next, built.clients, { logger, observer: serve.routerObserver }));
    return [];
  };
  const redisAvailable = redis === undefined ? undefined : () => redis.available;
  return { server, state, router, port, redisAvailable, close, settleLimits: async () => limits?.close(), serveNewGroupsFrom };
}

/** How often node looks for requests past their header or request timeout. */
const CONNECTIONS_CHECK_MS = 1_000;
/** A full worker logs that it turns connections away at most this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** Logs connections closed at the per-worker limit: once, then a count every ten seconds at most. */
function noteDroppedConnection(logger: Logger): () => void {
  let dropped = 0;
  let loggedAt = -Infinity;
  return () => {
    dropped++;
    const now = Date.now();
    if (now - loggedAt < DROP_LOG_INTERVAL_MS) return;
    logger.warn({ dropped }, 'connection limit reached (--max_connections_per_worker); new connections are closed');
    loggedAt = now;
    dropped = 0;
  };
}

function listen(server: Server, host: string, port: number, handle: object | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    const listening = () => {
      server.off('error', onError);
      resolve();
    };
    if (handle === undefined) server.listen({ host, port }, listening);
    else server.listen(handle, listening);
  });
}

function readTls(options: StartOptions): { key: Buffer; cert: Buffer } | undefined {
  if (options.sslKeyfilePath === undefined || options.sslCertfilePath === undefined) return undefined;
  try {
    return { key: readFileSync(options.sslKeyfilePath), cert: readFileSync(options.sslCertfilePath) };
  } catch (error) {
    throw new StartupError(`cannot read TLS files: ${(error as Error).message}`);
  }
}
