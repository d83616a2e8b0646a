import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import type { RedisSettings } from '../config/index.js';
import type { Logger } from '../core/index.js';
import type { RedisCommands } from './redis-commands.js';

/**
 * One Redis connection, tuned so that Redis can never stall the gateway: no offline queue (a
 * command while disconnected fails at once), one retry per command, a short command timeout, and
 * reconnection with capped back-off in the background. Every call goes through `run`, which
 * answers `undefined` instead of throwing: callers treat Redis as an optional accelerator and keep
 * working locally without it. An outage is logged once when it starts and once when it ends, not
 * once per command.
 */

export const REDIS_COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 1_000;
/** How long a PING's answer is reused (see ping()). */
const PING_REUSE_MS = 1_000;
const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 2_000;

export interface RedisConnectionOptions {
  logger: Logger;
  /** What this connection is for ("router", "health"): named in logs and in CLIENT LIST. */
  purpose: string;
  commandTimeoutMs?: number;
}

type LinkState = 'connecting' | 'up' | 'down';

export class RedisConnection {
  readonly namespace: string;
  /** host:port only: a URL may carry a password, and logs never do. */
  readonly endpoint: string;
  private readonly client: Redis;
  private readonly logger: Logger;
  private state: LinkState = 'connecting';
  /** The PING in flight, which concurrent callers of ping() share, and when the last one ended. */
  private pinging: Promise<boolean> | undefined;
  private pinged = { at: -Infinity, ok: false };
  private downSince = 0;
  private closed = false;

  constructor(settings: RedisSettings, options: RedisConnectionOptions) {
    this.namespace = settings.namespace;
    this.logger = options.logger;
    this.endpoint = describeEndpoint(settings);
    this.client = createRedisClient(settings, options);
    this.client.on('ready', () => this.markUp());
    this.client.on('error', (error: Error) => this.markDown('connection', error));
    this.client.on('close', () => {
      if (!this.closed) this.markDown('connection', new Error('connection closed'));
    });
  }

  /** Starts connecting in the background; never throws, never waits. */
  start(): void {
    this.client.connect().catch(() => {
      // Reported through the 'error' event; ioredis keeps reconnecting with our back-off.
    });
  }

  /** Connected and the last command worked. */
  get available(): boolean {
    return this.state === 'up' && this.client.status === 'ready';
  }

  /**
   * Asks Redis now: true when a PING comes back within the command timeout. `available` only
   * knows what the last command saw, and with no command sent a hung Redis still looks connected;
   * a timed-out PING marks the outage (and is logged as one) like any other command. Callers at
   * any rate (readiness is public) share one PING in flight and reuse an answer under a second old.
   */
  ping(): Promise<boolean> {
    if (Date.now() - this.pinged.at < PING_REUSE_MS) return Promise.resolve(this.pinged.ok);
    this.pinging ??= this.run('ping', (redis) => redis.ping())
      .then((answer) => answer === 'PONG')
      .then((ok) => {
        this.pinged = { at: Date.now(), ok };
        return ok;
      })
      .finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  /**
   * Until the first connection attempt settles (at most `timeoutMs`): true once connected. For
   * work that starts with the process (the first health round), which would otherwise find Redis
   * "unavailable" only because it is still connecting. After that it answers at once.
   */
  async firstConnection(timeoutMs: number): Promise<boolean> {
    if (this.available) return true;
    if (this.state !== 'connecting' || this.closed) return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        this.client.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.client.once('ready', done);
      this.client.once('error', done);
    });
    return this.available;
  }

  /** A key in this deployment's namespace: `<namespace>:<part>:<part>…`. */
  key(...parts: string[]): string {
    return `${this.namespace}:${parts.join(':')}`;
  }

  /**
   * Runs commands, bounded by the command timeout. Answers `undefined` when Redis is unreachable
   * or the commands failed, at once when disconnected (nothing is queued).
   */
  async run<T>(what: string, commands: (redis: RedisCommands) => Promise<T>): Promise<T | undefined> {
    if (this.closed || this.client.status !== 'ready') return undefined;
    try {
      const result = await commands(this.client);
      this.markUp();
      return result;
    } catch (error) {
      // An error reply means Redis is there and said no (a bug of ours, not an outage).
      if (isReplyError(error)) this.logger.error({ redis: this.endpoint, during: what, error: (error as Error).message }, 'redis refused a command');
      else this.markDown(what, error);
      return undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await quitClient(this.client);
  }

  private markUp(): void {
    if (this.state === 'up' || this.client.status !== 'ready') return;
    if (this.state === 'down') {
      this.logger.info({ redis: this.endpoint, outage_ms: Date.now() - this.downSince }, 'redis available again; coordination across hosts resumes');
    }
    this.state = 'up';
  }

  private markDown(what: string, error: unknown): void {
    if (this.closed || this.state === 'down') return;
    this.state = 'down';
    this.downSince = Date.now();
    const message = error instanceof Error ? error.message : String(error);
    this.logger.error({ redis: this.endpoint, during: what, error: message }, 'redis unavailable; working locally until it returns');
  }
}

/**
 * An ioredis client with the fail-fast tuning above. Exported for the one other kind of
 * connection, a pub/sub subscriber (redis-subscription.ts), which must be tuned the same way.
 */
export function createRedisClient(settings: RedisSettings, options: Pick<RedisConnectionOptions, 'purpose' | 'commandTimeoutMs'>): Redis {
  const RedisClient = loadIoredis();
  const commandTimeoutMs = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
  const tuned: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    // A server that accepts but stops answering (stalled, paused) is dropped and reconnected.
    socketTimeout: 2 * commandTimeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    connectionName: `switchyard-${options.purpose}`,
    retryStrategy: reconnectDelay,
  };
  if (settings.tls) tuned.tls = {};
  return settings.url !== undefined
    ? new RedisClient(settings.url, tuned)
    : new RedisClient({ ...tuned, host: settings.host, port: settings.port, username: settings.username, password: settings.password });
}

let ioredis: typeof Redis | undefined;

/**
 * ioredis, loaded on the first connection rather than at start-up: most deployments run without
 * Redis, and the module alone added about 20 MB to every worker's resident memory. It is
 * CommonJS, so it loads synchronously and the connection API stays synchronous.
 */
function loadIoredis(): typeof Redis {
  ioredis ??= (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis;
  return ioredis;
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Capped exponential back-off with jitter, so that many workers do not reconnect in step. */
function reconnectDelay(times: number): number {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(times, 10));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Closes a client politely (QUIT), or at once when Redis cannot answer. */
export async function quitClient(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

export function describeEndpoint(settings: RedisSettings): string {
  if (settings.url === undefined) return `${settings.host}:${settings.port}`;
  try {
    const url = new URL(settings.url);
    return `${url.hostname}:${url.port || '6379'}`;
  } catch {
    return 'redis (unparsable url)';
  }
}
