import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
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
const RECOVERY_PING_MS = 250;
const SLOTS_REFRESH_MS = 1_000;
const RECONNECT_MAX_MS = 2_000;
/**
 * With Sentinel each reconnect first asks a sentinel where the primary is, which is exactly what a
 * failover changes: retry sooner, so that the promoted replica is found within half a second of
 * its promotion rather than two (an attempt costs one SENTINEL command and one TCP connect).
 */
const SENTINEL_RECONNECT_MAX_MS = 500;

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
  private readonly client: RedisClient;
  private readonly logger: Logger;
  private readonly commandTimeoutMs: number;
  private state: LinkState = 'connecting';
  /** The PING in flight, which concurrent callers of ping() share, and when the last one ended. */
  private pinging: Promise<boolean> | undefined;
  private pinged = { at: -Infinity, ok: false };
  private downSince = 0;
  private closed = false;
  /** While down with the client still 'ready' (a cluster whose one node failed): PINGs until it answers. */
  private recovery: NodeJS.Timeout | undefined;
  private upCount = 0;

  constructor(settings: RedisSettings, options: RedisConnectionOptions) {
    this.namespace = settings.namespace;
    this.logger = options.logger;
    this.endpoint = describeEndpoint(settings);
    this.commandTimeoutMs = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
    this.client = createRedisClient(settings, options);
    this.client.on('ready', () => this.markUp());
    this.client.on('error', (error: Error) => this.markDown('connection', error));
    this.client.on('close', () => {
      if (!this.closed) this.markDown('connection', new Error('connection closed'));
    });
    keepConnecting(this.client, () => this.closed, this.logger, options.purpose);
  }

  /** Starts connecting in the background; never throws, never waits. */
  start(): void {
    this.client.connect().catch(() => {
      // Reported through the 'error' event; ioredis keeps reconnecting with our back-off.
    });
  }

  /**
   * How many times the connection has come up (0 before the first time). When it changes, Redis
   * may have lost what this process wrote before: a Sentinel or cluster failover promotes a replica
   * that can lack the last writes (replication is asynchronous), a restarted Redis is empty, and a
   * write attempted during the outage never arrived. Whoever keeps state there writes it again.
   */
  get sessions(): number {
    return this.upCount;
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
    this.pinging ??= this.pingNow().finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  /**
   * Only an answer to a PING sent is reused. While the first connection is being made (a Sentinel
   * setup asks a sentinel first, then connects and checks the role), the PING waits for it, within
   * the command timeout: a readiness probe at start-up used to find it still connecting, and its
   * "unavailable" was then reused for a second.
   */
  private async pingNow(): Promise<boolean> {
    if (this.state === 'connecting') await this.firstConnection(this.commandTimeoutMs);
    if (this.closed || this.client.status !== 'ready') return false;
    const ok = (await this.run('ping', (redis) => redis.ping())) === 'PONG';
    this.pinged = { at: Date.now(), ok };
    return ok;
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
   * A key in a hash-tag group: `<namespace>:{<namespace>:<group>}:<part>…`. Every key that one
   * script, MGET or transaction touches together must come from the same group, so that a
   * Redis Cluster keeps them in one slot (else CROSSSLOT); a group is as small as the atomic unit
   * (one per deployment fingerprint, conversation, minute…) so that load spreads over the slots.
   * The namespace is in the tag: two gateways sharing a cluster land on different slots.
   * See docs/architecture.md, "Redis keys".
   */
  groupKey(group: string, ...parts: string[]): string {
    return `${this.namespace}:${hashTag(`${this.namespace}:${group}`)}:${parts.join(':')}`;
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
    this.stopRecovery();
    await quitClient(this.client);
  }

  private markUp(): void {
    if (this.state === 'up' || this.client.status !== 'ready') return;
    this.stopRecovery();
    if (this.state === 'down') {
      this.logger.info({ redis: this.endpoint, outage_ms: Date.now() - this.downSince }, 'redis available again; coordination across hosts resumes');
    }
    this.state = 'up';
    this.upCount++;
  }

  private markDown(what: string, error: unknown): void {
    if (this.closed || this.state === 'down') return;
    this.state = 'down';
    this.downSince = Date.now();
    this.startRecovery();
    const message = error instanceof Error ? error.message : String(error);
    if (isAuthError(message)) {
      this.logger.warn({ redis: this.endpoint, during: what, error: message }, 'redis refused our credentials (check the username and password); working locally');
      return;
    }
    if (isCertificateError(message)) {
      this.logger.warn({ redis: this.endpoint, during: what, error: message }, 'redis\'s TLS certificate is not trusted (check ssl_ca_certs and the host name); working locally');
      return;
    }
    this.logger.error({ redis: this.endpoint, during: what, error: message }, 'redis unavailable; working locally until it returns');
  }

  /**
   * A reconnect announces itself ('ready'), but a cluster stays 'ready' while one of its primaries
   * fails over, and a command timing out on a live connection sends no event either: without this,
   * callers that skip work while unavailable would never try again. A PING on the command timeout
   * (a cluster: CLUSTER INFO saying every slot is served) every RECOVERY_PING_MS while down and
   * connected; the first good answer ends the outage.
   */
  private startRecovery(): void {
    if (this.recovery !== undefined || this.closed) return;
    this.recovery = setInterval(() => {
      if (this.client.status !== 'ready') return;
      // On a cluster any live node answers a PING; its own view of the cluster says whether every
      // slot has a primary again (after the promotion), which is what the scripts need.
      const probe = this.client.isCluster ? this.client.cluster('INFO').then((info) => String(info).includes('cluster_state:ok')) : this.client.ping().then(() => true);
      probe.then(
        (ok) => ok && this.markUp(),
        () => undefined,
      );
    }, RECOVERY_PING_MS);
    this.recovery.unref();
  }

  private stopRecovery(): void {
    if (this.recovery !== undefined) clearInterval(this.recovery);
    this.recovery = undefined;
  }
}

/** A standalone or Sentinel-managed connection (ioredis `Redis`) or a cluster (ioredis `Cluster`). */
export type RedisClient = Redis | Cluster;

/**
 * The connection factory: an ioredis client of the kind the settings name, with the fail-fast
 * tuning above. A cluster (`redis_startup_nodes`) gets a `Cluster`, which follows MOVED/ASK
 * redirections and refreshes its slot map after a failover; `sentinel_nodes` + `service_name` get
 * a `Redis` that asks the sentinels for the current primary on every reconnect and reconnects as
 * soon as a sentinel announces a switch (a killed primary closes its connections by dying; one
 * left up by a planned failover stays a primary until the sentinels demote it); anything else a
 * plain `Redis`. Callers see the same `RedisCommands` either way. Exported for the one other kind
 * of connection, a pub/sub subscriber (redis-subscription.ts), which must be tuned the same way.
 */
export function createRedisClient(settings: RedisSettings, options: Pick<RedisConnectionOptions, 'purpose' | 'commandTimeoutMs'> & { subscriber?: boolean }): RedisClient {
  const ioredisModule = loadIoredis();
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
    retryStrategy: (times: number) => reconnectDelay(times),
    // A subscriber subscribes again on every 'ready' itself (redis-subscription.ts).
    ...(options.subscriber === true ? { autoResubscribe: false } : {}),
  };
  const tls = tlsOptions(settings);
  if (tls !== undefined) tuned.tls = tls;
  const auth = { username: settings.username, password: settings.password };
  if (settings.cluster !== undefined) {
    const { lazyConnect, enableOfflineQueue, retryStrategy: _perNode, ...perNode } = tuned;
    const clusterOptions: ClusterOptions = {
      lazyConnect,
      enableOfflineQueue,
      redisOptions: { ...perNode, ...auth },
      clusterRetryStrategy: (times: number) => reconnectDelay(times),
      // After a failover the old primary's slots move: refresh the map quickly, bounded.
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      // A command to a dead primary times out rather than answering MOVED, so nothing else tells
      // the client that a replica took over: re-read the slot map every second (one CLUSTER SLOTS).
      slotsRefreshInterval: SLOTS_REFRESH_MS,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      // Managed clusters (ElastiCache, Memorystore) announce names that resolve to many addresses.
      dnsLookup: (address, callback) => callback(null, address),
    };
    return new ioredisModule.Cluster(settings.cluster.map((node) => ({ host: node.host, port: node.port })), clusterOptions);
  }
  if (settings.sentinel !== undefined) {
    return new ioredisModule.Redis({
      ...tuned,
      ...auth,
      sentinels: settings.sentinel.nodes.map((node) => ({ host: node.host, port: node.port })),
      name: settings.sentinel.serviceName,
      ...(settings.sentinel.password !== undefined ? { sentinelPassword: settings.sentinel.password } : {}),
      ...(tls !== undefined ? { enableTLSForSentinelMode: true } : {}),
      sentinelCommandTimeout: commandTimeoutMs,
      retryStrategy: (times: number) => reconnectDelay(times, SENTINEL_RECONNECT_MAX_MS),
      sentinelRetryStrategy: (times: number) => reconnectDelay(times),
      // A planned failover (SENTINEL FAILOVER, a managed service's maintenance) leaves the old
      // primary up and accepting writes until the sentinels demote it, ~10 s later: writes there
      // are lost. Subscribed to +switch-master on two sentinels (each announces it), the client
      // reconnects to the new primary as soon as the switch is announced.
      failoverDetector: true,
      sentinelMaxConnections: 2,
    });
  }
  return settings.url !== undefined
    ? new ioredisModule.Redis(settings.url, { ...tuned, ...(settings.username !== undefined ? { username: settings.username } : {}), ...(settings.password !== undefined && !hasUrlPassword(settings.url) ? { password: settings.password } : {}) })
    : new ioredisModule.Redis({ ...tuned, host: settings.host, port: settings.port, ...auth });
}

/** TLS: `rediss://`, `ssl: true` or REDIS_SSL=true; `ssl_ca_certs` names a CA file to trust besides the system's. */
function tlsOptions(settings: RedisSettings): RedisOptions['tls'] {
  if (!settings.tls && settings.caCertsFile === undefined) return undefined;
  if (settings.caCertsFile === undefined) return {};
  return { ca: readFileSync(settings.caCertsFile) };
}

function hasUrlPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

let ioredis: { Redis: typeof Redis; Cluster: typeof Cluster } | undefined;

/**
 * ioredis, loaded on the first connection rather than at start-up: most deployments run without
 * Redis, and the module alone added about 20 MB to every worker's resident memory. It is
 * CommonJS, so it loads synchronously and the connection API stays synchronous.
 */
function loadIoredis(): { Redis: typeof Redis; Cluster: typeof Cluster } {
  ioredis ??= createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis; Cluster: typeof Cluster };
  return ioredis;
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Capped exponential back-off with jitter, so that many workers do not reconnect in step. */
function reconnectDelay(times: number, maxMs = RECONNECT_MAX_MS): number {
  const ceiling = Math.min(maxMs, RECONNECT_BASE_MS * 2 ** Math.min(times, 10));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * ioredis gives up for good ('end') when a connection attempt is cut short by a disconnect, which
 * Sentinel's failover detector does when a switch is announced while the client is still
 * reconnecting after the old primary died: that host would never share again. Until closed, an
 * ended client connects again after the first back-off step.
 */
export function keepConnecting(client: RedisClient, closed: () => boolean, logger: Logger, purpose: string): void {
  client.on('end', () => {
    if (closed()) return;
    logger.warn({ purpose }, 'redis client gave up reconnecting; connecting again');
    setTimeout(() => {
      if (!closed() && client.status === 'end') client.connect().catch(() => undefined);
    }, reconnectDelay(1)).unref();
  });
}

/** Closes a client politely (QUIT), or at once when Redis cannot answer. */
export async function quitClient(client: RedisClient): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

export function describeEndpoint(settings: RedisSettings): string {
  if (settings.cluster !== undefined) return `cluster ${settings.cluster.map((node) => `${node.host}:${node.port}`).join(',')}`;
  if (settings.sentinel !== undefined) return `sentinel ${settings.sentinel.serviceName}`;
  if (settings.url === undefined) return `${settings.host}:${settings.port}`;
  try {
    const url = new URL(settings.url);
    return `${url.hostname}:${url.port || '6379'}`;
  } catch {
    return 'redis (unparsable url)';
  }
}

/** `{text}`, with any brace in `text` replaced: Redis hashes only up to the first `}`. */
export function hashTag(text: string): string {
  return `{${text.replace(/[{}]/g, '_')}}`;
}

/** A TLS handshake that refused the server's certificate (wrong or missing CA, another host name): the operator must act. */
export function isCertificateError(message: string): boolean {
  return /certificate|unable to verify|Hostname\/IP does not match|ERR_TLS_CERT/i.test(message);
}

/** An answer that says our credentials are wrong: retrying will not help, the operator must act. */
export function isAuthError(message: string): boolean {
  return /WRONGPASS|NOAUTH|NOPERM|invalid username-password|Authentication required/i.test(message);
}
