import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { TestHooks, WorkerIdentity } from '../config/index.js';
import type { Logger } from '../core/index.js';
import type { DeploymentPrices } from '../cost/index.js';
import { isPrimaryMessage, type CodeCacheOutcome, type PrimaryMessage, type PrimaryMessageOf, type WorkerMessage } from './ipc-messages.js';

/** What the worker's server offers its link to the primary. */
export interface WorkerLinkHooks {
  stats(): { served: number; inFlight: number };
  /** Stop accepting and finish in-flight work; what is still open at the deadline is ended. */
  drain(timeoutMs: number): DrainHandle;
  /** Last words before exit (the metrics flush), awaited after the drain. */
  beforeExit?(): Promise<void>;
  /** Moves a share of the keep-alive clients elsewhere; returns how many connections were marked. */
  rebalance?(share: number): number;
}

export interface DrainOutcome {
  inFlightAtStart: number;
  servedAtStart: number;
  durationMs: number;
  forced: number;
}

export interface DrainHandle {
  readonly result: Promise<DrainOutcome>;
  /** Brings the deadline forward (a shutdown reaching a worker that drains for a recycle). */
  shorten(timeoutMs: number): void;
}

/**
 * The worker's half of the IPC channel: reports ready, asks to be recycled at its request limit,
 * answers pings with its vital signs, and drains then exits when told.
 */
export class WorkerLink {
  private limitReported = false;
  private draining = false;
  private drainHandle: DrainHandle | undefined;
  private listenTarget: Promise<object | undefined>;
  private bootPrices: Promise<DeploymentPrices>;
  private hooks: WorkerLinkHooks | undefined;
  private readonly lag = monitorEventLoopDelay({ resolution: 20 });
  private readonly handlers = new Map<PrimaryMessage['type'], (message: PrimaryMessage) => void>();

  constructor(
    readonly identity: WorkerIdentity,
    private readonly testHooks: TestHooks,
    private readonly logger: Logger,
    private readonly gracefulTimeoutMs: number,
  ) {
    this.lag.enable();
    this.on('ping', (message) => this.pong(message.seq));
    this.on('drain', (message) => this.drainOrShorten(message.timeoutMs, message.reason));
    this.on('rebalance', (message) => {
      const marked = this.hooks?.rebalance?.(message.share) ?? 0;
      this.logger.debug({ share: message.share, connections: marked }, 'rebalance: keep-alive connections asked to reconnect');
    });
    let listenAt: (target: object | undefined) => void = () => undefined;
    let pricesAre: (prices: DeploymentPrices) => void = () => undefined;
    this.listenTarget = new Promise((resolve) => (listenAt = resolve));
    this.bootPrices = new Promise((resolve) => (pricesAre = resolve));
    process.on('message', (message: unknown, handle: unknown) => {
      if (!isPrimaryMessage(message)) return;
      if (message.type === 'listen') {
        pricesAre(message.prices);
        listenAt(message.shared && typeof handle === 'object' && handle !== null ? handle : undefined);
      } else this.handlers.get(message.type)?.(message);
    });
    // Listening now: the primary sends where to listen in answer (ipc-messages.ts).
    this.send({ type: 'hello' });
    // A terminal's Ctrl-C or a control-group kill signals every process, workers included: drain
    // as the primary would have asked (it is doing the same), rather than dying mid-request.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => this.drainOrShorten(this.gracefulTimeoutMs, `${signal} received`));
    }
    // The primary is gone: nobody will route to us or tell us to stop; leave cleanly.
    process.once('disconnect', () => {
      if (!this.draining) void this.drainAndExit(5_000, 'primary gone');
    });
  }

  /** The primary's listening socket to accept on, or undefined to listen on host and port (see listen-socket.ts). */
  listenOn(): Promise<object | undefined> {
    // Test hook: a worker stuck in its boot never listens, so it neither accepts connections nor reports ready.
    if (this.neverReady()) {
      this.logger.warn({ spawn: this.identity.spawn }, 'test hook: this worker never listens nor reports ready');
      return new Promise(() => undefined);
    }
    return this.listenTarget;
  }

  private neverReady(): boolean {
    return this.testHooks.neverReadyFromSpawn !== undefined && this.identity.spawn >= this.testHooks.neverReadyFromSpawn;
  }

  /** Every deployment's price as the primary resolved it (with the listen message, the answer to its hello). */
  prices(): Promise<DeploymentPrices> {
    return this.bootPrices;
  }

  /** Hooks arrive once the server exists; pings before that still get answers. */
  attach(hooks: WorkerLinkHooks): void {
    this.hooks = hooks;
  }

  ready(port: number, codeCache: CodeCacheOutcome = 'unbundled'): void {
    const cpu = process.cpuUsage();
    this.send({ type: 'ready', port, codeCache, cpuMs: Math.round((cpu.user + cpu.system) / 1000) });
  }

  /** Reports a start-up failure and exits. */
  bootFailed(error: string, problems: string[] = []): void {
    this.send({ type: 'boot-failed', error, problems }, () => process.exit(1));
  }

  /** Called for every request the worker receives. */
  noteRequest(served: number): void {
    const limit = this.identity.requestLimit;
    if (limit === undefined || this.limitReported || served < limit) return;
    this.limitReported = true;
    this.send({ type: 'limit-reached', served, limit });
  }

  /** Handles one type of primary message (one handler per type; the metrics and health parts add theirs). */
  on<T extends PrimaryMessage['type']>(type: T, handler: (message: PrimaryMessageOf<T>) => void): void {
    this.handlers.set(type, handler as (message: PrimaryMessage) => void);
  }

  private pong(seq: number): void {
    const stats = this.hooks?.stats() ?? { served: 0, inFlight: 0 };
    const lagMs = this.lag.max / 1e6;
    this.lag.reset();
    this.send({ type: 'pong', seq, stats: { ...stats, rssBytes: process.memoryUsage.rss(), eventLoopLagMs: lagMs } });
  }

  /** The first drain request starts the drain; a later one can only bring its deadline forward. */
  private drainOrShorten(timeoutMs: number, reason: string): void {
    if (!this.draining) {
      void this.drainAndExit(timeoutMs, reason);
      return;
    }
    this.logger.debug({ reason, timeout_ms: timeoutMs }, 'drain deadline shortened');
    this.drainHandle?.shorten(timeoutMs);
  }

  private async drainAndExit(timeoutMs: number, reason: string): Promise<void> {
    this.draining = true;
    const served = this.hooks?.stats().served ?? 0;
    this.logger.debug({ reason, timeout_ms: timeoutMs }, 'draining');
    this.drainHandle = this.hooks?.drain(timeoutMs);
    const result = this.drainHandle ? await this.drainHandle.result : { inFlightAtStart: 0, servedAtStart: served, durationMs: 0, forced: 0 };
    if (result.forced > 0) this.logger.warn({ reason, forced: result.forced, timeout_ms: timeoutMs }, 'drain deadline passed: open requests were ended');
    try {
      await this.hooks?.beforeExit?.();
    } catch (error) {
      this.logger.error({ err: error }, 'final flush failed');
    }
    this.send({ type: 'drained', served: this.hooks?.stats().served ?? served, ...result }, () => process.exit(0));
    // If the channel is already gone the callback may never run.
    setTimeout(() => process.exit(0), 2_000).unref();
  }

  /** Sends to the primary; `then` runs once the message is handed to the channel (or there is none). */
  send(message: WorkerMessage, then?: () => void): void {
    if (process.send === undefined || !process.connected) {
      then?.();
      return;
    }
    process.send(message, undefined, {}, () => then?.());
  }
}
