import cluster, { type Worker } from 'node:cluster';
import { readNodeOptions, workerEnvironment, type StartOptions } from '../config/index.js';
import { systemClock, systemRandom, type Clock, type Logger, type Random } from '../core/index.js';
import { Backoff } from './backoff.js';
import { isWorkerMessage, type PrimaryMessage, type WorkerMessageOf, type RecycleReason, type RestartReason, type WorkerMessage } from './ipc-messages.js';
import { drawRequestLimit } from './worker-limits.js';
import { workerExecArgv } from './worker-node-flags.js';
import type { ListenSocket } from './listen-socket.js';
import type { DeploymentPrices } from '../cost/index.js';
import { WorkerRegistry, type WorkerRecord } from './worker-registry.js';

/** Result of checking a config file before a reload: problems block it. */
export type ConfigCheck = { ok: true; warnings: string[] } | { ok: false; problems: string[]; warnings: string[] };

export interface SupervisorOptions {
  options: StartOptions;
  logger: Logger;
  /** The script each worker runs (the worker bundle's loader); the primary's own script when undefined. */
  workerScript?: string;
  /** The listening socket the primary holds and hands to every worker; workers listen themselves when undefined. */
  listenSocket?: ListenSocket;
  /** Re-reads and validates the config file (SIGHUP). */
  checkConfig: () => ConfigCheck;
  /** The accepted config's deployment prices (plain data), sent to each worker as it boots and with a reload. */
  prices: () => DeploymentPrices;
  /** Called on every worker message (the metrics and health issues listen here). */
  onWorkerMessage?: (record: WorkerRecord, message: WorkerMessage) => void;
  /** Called when a worker process is gone, whatever the reason. */
  onWorkerExit?: (record: WorkerRecord, reason: RestartReason | 'drained' | 'shutdown') => void;
  /** Called once when the primary starts shutting down (before the workers drain). */
  onShutdown?: () => void;
  random?: Random;
  clock?: Clock;
}

interface RecycleRequest {
  slot: number;
  reason: RecycleReason;
  /** For max_requests/memory: the worker that asked; stale once it is gone. */
  pid?: number;
  /** For reload: workers spawned after this already run the new config. */
  requestedAt: number;
}

/** A recycle whose replacement is booting: the surge, of which a host runs one at a time. */
interface Surge extends RecycleRequest {
  oldPid: number | undefined;
  newPid: number;
  startedAt: number;
}

/** A worker must be this old before memory alone recycles it (a fresh one over the limit would loop). */
const MEMORY_RECYCLE_MIN_AGE_MS = 5_000;
/** Extra time a draining worker gets past its drain deadline before it is killed. */
const DRAIN_KILL_MARGIN_MS = 10_000;
/**
 * The first workers boot together on a host that is itself starting, so they get at least this
 * long; --worker_ready_timeout, when longer, applies to them too, and alone to every later worker.
 */
const STARTUP_READY_TIMEOUT_MS = 60_000;
/** After a restart, how long the primary keeps evening out the workers' request rates. */
const REBALANCE_WINDOW_MS = 10_000;
/** Even enough: the least busy worker does at least this share of the mean. */
const BALANCED_SHARE = 0.7;
/** Below this many requests per second on the busiest worker there is nothing worth moving. */
const MIN_REBALANCE_RATE = 5;

/**
 * The primary process: forks the workers, recycles them (limit + jitter, replacement first),
 * replaces crashed and hung ones with back-off, and shuts down or reloads on signals. It serves no
 * client traffic.
 *
 * Recycles are pipelined: only the surge is serialised (one replacement booting at a time per
 * host, so that boots do not fight each other and the serving workers for CPU). Once a
 * replacement is ready its old worker is told to drain and the next recycle may begin; a draining
 * worker blocks nothing, however long its streams run. What draining workers may hold is bounded
 * by --max_draining_workers: at the cap the next surge waits for one of them to exit.
 */
export class Supervisor {
  readonly registry = new WorkerRegistry();
  private readonly random: Random;
  private readonly clock: Clock;
  private readonly log: Logger;
  private phase: 'starting' | 'running' | 'stopping' = 'starting';
  private spawnCount = 0;
  private queue: RecycleRequest[] = [];
  private surge: Surge | undefined;
  private queueBlockedUntil = 0;
  /** The queue is waiting on the draining cap (logged once per wait). */
  private capWaitLogged = false;
  /** Until when request rates are evened out after a restart (rebalanceTowards). */
  private rebalanceUntil = 0;
  private shutdownTimer: NodeJS.Timeout | undefined;
  private readonly replacementBackoff = new Backoff(1_000, 30_000, 120_000);
  private readonly crashBackoff = new Map<number, Backoff>();
  private pingSeq = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private finish: ((code: number) => void) | undefined;
  private sigints = 0;

  constructor(private readonly opts: SupervisorOptions) {
    this.random = opts.random ?? systemRandom;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger;
  }

  private get options(): StartOptions {
    return this.opts.options;
  }

  /** Forks the workers and supervises them; resolves with the exit code when the primary is done. */
  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    // The kernel hands connections to whichever worker accepts them. With round-robin, the primary
    // accepts every connection and passes it to a worker over IPC, waiting for the worker's answer:
    // a worker whose event loop is stuck never answers, so the connection it was handed stays open
    // in the primary after the worker is killed and that client hangs. Shared accept has no such
    // step (a stuck worker simply stops accepting), costs the primary nothing per connection, and
    // measured as balanced here (48/52 over two workers with keep-alive clients).
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ ...(this.opts.workerScript === undefined ? {} : { exec: this.opts.workerScript }), args: process.argv.slice(2), execArgv: workerExecArgv(process.execArgv, readNodeOptions()) });
    for (let slot = 0; slot < this.options.numWorkers; slot++) this.fork(slot);
    const pingEvery = Math.max(100, Math.min(1_000, Math.floor(this.options.workerHealthcheckTimeoutMs / 3)));
    this.pingTimer = setInterval(() => this.pingAndCheck(), pingEvery);
    process.on('SIGTERM', () => this.shutdown('SIGTERM'));
    process.on('SIGINT', () => {
      if (++this.sigints > 1) this.abortNow();
      else this.shutdown('SIGINT');
    });
    process.on('SIGHUP', () => this.reload());
    return done;
  }

  /** Workers ready to serve, for readiness reporting. */
  readyCount(): number {
    return this.registry.count('ready');
  }

  /** Sends a message to every live worker (booting ones too, so that none misses state it needs). */
  broadcast(message: PrimaryMessage): void {
    for (const record of this.registry.all()) this.send(record, message);
  }

  /** Sends a message to one worker, if it can still receive. */
  send(record: WorkerRecord, message: PrimaryMessage): void {
    if (record.state !== 'exited' && record.worker.isConnected()) record.worker.send(message);
  }

  private fork(slot: number, replaces?: number): WorkerRecord {
    const spawn = this.spawnCount++;
    const limit = drawRequestLimit(this.options.maxRequestsBeforeRestart, this.options.maxRequestsBeforeRestartJitter, this.random);
    const worker = cluster.fork(workerEnvironment({ slot, spawn, requestLimit: limit }));
    const now = this.clock.now();
    const record: WorkerRecord = {
      slot, spawn, pid: worker.process.pid ?? -1, worker, limit, startedAt: now, state: 'booting',
      served: 0, inFlight: 0, rssBytes: 0, eventLoopLagMs: 0, lastPongAt: now, replaces, timers: new Set(),
    };
    this.registry.add(record);
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.onMessage(record, message);
    });
    worker.once('exit', (code, signal) => this.onExit(record, code, signal));
    const readyTimeoutMs = this.phase === 'starting' ? Math.max(this.options.workerReadyTimeoutMs, STARTUP_READY_TIMEOUT_MS) : this.options.workerReadyTimeoutMs;
    this.after(record, readyTimeoutMs, () => {
      if (record.state !== 'booting') return;
      record.endedBy = 'not-ready';
      record.bootError ??= `not ready within ${readyTimeoutMs / 1000} s`;
      this.log.warn({ worker_pid: record.pid, slot }, `worker not ready within ${readyTimeoutMs / 1000} s; killing it`);
      worker.process.kill('SIGKILL');
    });
    this.log.debug({ worker_pid: record.pid, slot, spawn, limit, replaces }, 'worker spawned');
    return record;
  }

  private onMessage(record: WorkerRecord, message: WorkerMessage): void {
    this.opts.onWorkerMessage?.(record, message);
    switch (message.type) {
      case 'hello': {
        // The worker listens now: a message sent before this could be lost (an unbundled worker
        // loads its modules asynchronously while the channel already flows, and cluster's own
        // listener takes what comes then). Where to listen, and the prices, go now.
        if (record.state !== 'booting') return;
        const listen = this.opts.listenSocket;
        record.worker.send({ type: 'listen', shared: listen !== undefined, prices: this.opts.prices() } satisfies PrimaryMessage, listen?.handle as never);
        return;
      }
      case 'ready':
        return this.onReady(record, message);
      case 'boot-failed':
        record.bootError = message.error;
        record.bootProblems = message.problems;
        return;
      case 'limit-reached':
        record.served = Math.max(record.served, message.served);
        return this.enqueue({ slot: record.slot, reason: 'max_requests', pid: record.pid, requestedAt: this.clock.now() });
      case 'pong':
        record.lastPongAt = this.clock.now();
        noteRequestRate(record, message.stats.served, record.lastPongAt);
        record.served = message.stats.served;
        record.inFlight = message.stats.inFlight;
        record.rssBytes = message.stats.rssBytes;
        record.eventLoopLagMs = message.stats.eventLoopLagMs;
        return this.checkMemory(record);
      case 'drained': {
        const overshoot = record.drainReason === 'max_requests' ? recycleOvershoot(record, message.servedAtStart) : undefined;
        const line = {
          worker_pid: record.pid, slot: record.slot, reason: record.drainReason ?? null, served: message.served,
          served_at_drain_start: message.servedAtStart, overshoot: overshoot ?? null, in_flight_at_drain_start: message.inFlightAtStart,
          duration_ms: Math.round(message.durationMs), forced: message.forced,
        };
        if (message.forced > 0) this.log.warn(line, 'drain finished: requests still open at the drain deadline were ended');
        else this.log.info(line, 'drain finished');
        return;
      }
    }
  }

  private onReady(record: WorkerRecord, ready: WorkerMessageOf<'ready'>): void {
    if (record.state !== 'booting') return;
    record.state = 'ready';
    record.readyAt = this.clock.now();
    record.lastPongAt = record.readyAt;
    const bootMs = record.readyAt - record.startedAt;
    this.log.info({ worker_pid: record.pid, slot: record.slot, limit: record.limit ?? null, boot_ms: bootMs, boot_cpu_ms: ready.cpuMs, code_cache: ready.codeCache }, 'worker booted');

    if (this.phase === 'running' && record.replaces === undefined) this.rebalanceTowards(record);
    if (this.surge?.newPid === record.pid) {
      const old = this.surge.oldPid === undefined ? undefined : this.registry.get(this.surge.oldPid);
      this.log.info({ worker_pid: record.pid, slot: record.slot, old_worker_pid: old?.pid ?? null, boot_ms: bootMs }, 'replacement ready');
      const reason = this.surge.reason;
      this.surge = undefined;
      if (old && old.state !== 'exited') this.drain(old, reason);
      this.processQueue();
    }
    if (this.phase === 'starting' && this.registry.count('ready') === this.options.numWorkers) {
      this.phase = 'running';
      this.log.info({ workers: this.options.numWorkers, port: this.options.port, pids: this.registry.all().map((r) => r.pid) }, 'switchyard ready');
      this.processQueue();
    }
  }

  /**
   * Tells a worker to drain. A routine drain (a recycle) waits for every request it holds, up to
   * --recycle_drain_timeout; a shutdown drain ends what is left at --graceful_timeout. A shutdown
   * reaching a worker that is already draining for a recycle shortens its deadline to that.
   */
  /**
   * A restarted worker (after a crash or a hang) gets only new connections, while keep-alive
   * clients stay where they are: each other ready worker is asked to move its fair share over.
   */
  private rebalanceTowards(newcomer: WorkerRecord): void {
    const ready = this.registry.all().filter((r) => r.state === 'ready');
    if (ready.length < 2) return;
    const share = 1 / ready.length;
    for (const record of ready) if (record !== newcomer) this.send(record, { type: 'rebalance', share });
    this.log.info({ worker_pid: newcomer.pid, slot: newcomer.slot, share }, 'rebalancing keep-alive clients towards a restarted worker');
    // The kernel hands each reconnecting client to whichever worker accepts first, and that is
    // not always the newcomer: keep evening out, from the workers' request rates, for a while.
    this.rebalanceUntil = this.clock.now() + REBALANCE_WINDOW_MS;
  }

  /** Within the window after a restart: the busiest workers shed the part of their clients above the mean. */
  private evenOut(): void {
    if (this.clock.now() > this.rebalanceUntil) return;
    const ready = this.registry.all().filter((r) => r.state === 'ready' && r.requestRate !== undefined);
    if (ready.length < 2) return;
    const rates = ready.map((r) => r.requestRate as number);
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    const max = Math.max(...rates);
    if (max < MIN_REBALANCE_RATE || Math.min(...rates) >= mean * BALANCED_SHARE) {
      this.rebalanceUntil = 0; // even enough: stop
      return;
    }
    for (const record of ready) {
      const rate = record.requestRate as number;
      if (rate > mean) this.send(record, { type: 'rebalance', share: (rate - mean) / rate });
    }
  }

  private drain(record: WorkerRecord, reason: RecycleReason | 'shutdown'): void {
    if (record.state === 'exited') return;
    if (record.state === 'booting') {
      record.endedBy = 'shutdown-kill';
      record.worker.process.kill('SIGKILL');
      return;
    }
    if (record.state === 'draining' && (reason !== 'shutdown' || record.drainReason === 'shutdown')) return;
    const timeoutMs = reason === 'shutdown' ? this.options.gracefulTimeoutMs : this.options.recycleDrainTimeoutMs;
    if (record.state === 'draining') {
      this.log.info({ worker_pid: record.pid, slot: record.slot, was: record.drainReason, timeout_ms: timeoutMs }, 'drain deadline shortened for shutdown');
    } else {
      record.state = 'draining';
      record.endedBy = 'drain';
      record.drainStartedAt = this.clock.now();
      this.log.info({ worker_pid: record.pid, slot: record.slot, reason, served: record.served, timeout_ms: timeoutMs }, 'drain begun');
    }
    record.drainReason = reason;
    this.send(record, { type: 'drain', timeoutMs, reason });
    this.after(record, timeoutMs + DRAIN_KILL_MARGIN_MS, () => {
      this.log.warn({ worker_pid: record.pid, slot: record.slot, reason }, 'worker still running after its drain deadline; killing it');
      record.worker.process.kill('SIGKILL');
    });
  }

  private onExit(record: WorkerRecord, code: number | null, signal: string | null): void {
    const previous = record.state;
    record.state = 'exited';
    this.registry.remove(record.pid);
    const exit = { worker_pid: record.pid, slot: record.slot, code, signal };

    if (this.phase === 'stopping') {
      this.opts.onWorkerExit?.(record, 'shutdown');
      if (this.registry.count() === 0) this.exit(0);
      return;
    }
    if (this.phase === 'starting' && previous === 'booting' && record.replaces === undefined) {
      this.opts.onWorkerExit?.(record, 'crash');
      const error = record.bootError ?? `worker exited during start-up (${signal ?? `code ${code}`})`;
      this.log.fatal({ ...exit, error, problems: record.bootProblems?.length ? record.bootProblems : undefined }, `workers cannot start: ${error}`);
      this.abortNow(1);
      return;
    }

    if (this.surge?.newPid === record.pid && previous === 'booting') {
      this.opts.onWorkerExit?.(record, 'crash');
      return this.replacementFailed(record, record.bootError ?? `exited before it was ready (${signal ?? `code ${code}`})`);
    }
    if (record.endedBy === 'drain') {
      this.opts.onWorkerExit?.(record, 'drained');
      this.processQueue(); // one draining worker fewer: a surge waiting on the cap may go
      return;
    }

    // Unexpected: a crash (or a hung worker we killed). The slot needs a worker again, unless a
    // replacement for it is already on its way.
    const reason: RestartReason = record.endedBy === 'hung' ? 'hung' : 'crash';
    this.opts.onWorkerExit?.(record, reason);
    if (this.surge?.oldPid === record.pid) {
      this.surge.oldPid = undefined; // the booting replacement takes the slot over
      this.log.warn({ ...exit, reason }, 'worker died during its recycle; its replacement takes over');
      return;
    }
    const backoff = this.crashBackoffFor(record.slot).next(this.clock.now());
    this.log.error({ ...exit, reason, backoff_ms: backoff }, reason === 'hung' ? 'hung worker killed' : 'worker crashed');
    const restart = () => {
      if (this.phase !== 'stopping' && this.registry.all().every((r) => r.slot !== record.slot || r.state === 'draining')) this.fork(record.slot);
    };
    if (backoff === 0) restart();
    else setTimeout(restart, backoff).unref();
  }

  private crashBackoffFor(slot: number): Backoff {
    let backoff = this.crashBackoff.get(slot);
    if (!backoff) {
      backoff = new Backoff(500, 30_000, 60_000);
      this.crashBackoff.set(slot, backoff);
    }
    return backoff;
  }

  private enqueue(request: RecycleRequest): void {
    const duplicate = this.queue.some((q) => q.slot === request.slot && (q.pid === request.pid || q.reason === 'reload'));
    const alreadyRecycling = this.surge !== undefined && this.surge.oldPid !== undefined && this.surge.oldPid === request.pid;
    if (!duplicate && !alreadyRecycling) this.queue.push(request);
    this.processQueue();
  }

  private processQueue(): void {
    if (this.surge || this.phase !== 'running') return;
    const wait = this.queueBlockedUntil - this.clock.now();
    if (wait > 0) {
      setTimeout(() => this.processQueue(), wait).unref();
      return;
    }
    while (this.queue.length > 0) {
      const request = this.queue[0] as RecycleRequest;
      const current = this.registry.serving(request.slot);
      const stale = !current
        || (request.pid !== undefined && current.pid !== request.pid) // that worker is gone
        || (request.reason === 'reload' && current.startedAt > request.requestedAt); // already new
      if (stale) {
        this.queue.shift();
        continue;
      }
      const draining = this.registry.count('draining');
      if (draining >= this.options.maxDrainingWorkers) {
        // Each draining worker still holds requests (long streams, typically) and its memory;
        // the next one exiting calls processQueue again.
        if (!this.capWaitLogged) {
          this.capWaitLogged = true;
          this.log.warn({ draining, max_draining_workers: this.options.maxDrainingWorkers, waiting: this.queue.length }, 'recycles wait: draining workers are at their cap');
        }
        return;
      }
      this.capWaitLogged = false;
      this.queue.shift();
      this.log.info({
        worker_pid: current.pid, slot: current.slot, reason: request.reason, served: current.served, limit: current.limit ?? null,
        overshoot: request.reason === 'max_requests' ? recycleOvershoot(current, current.served) ?? null : null,
        queued_ms: this.clock.now() - request.requestedAt, draining, rss_mb: Math.round(current.rssBytes / 1048576),
      }, 'recycle begun');
      const replacement = this.fork(current.slot, current.pid);
      this.surge = { ...request, oldPid: current.pid, newPid: replacement.pid, startedAt: this.clock.now() };
      return;
    }
  }

  private replacementFailed(record: WorkerRecord, why: string): void {
    const failed = this.surge as Surge;
    this.surge = undefined;
    const delay = Math.max(1_000, this.replacementBackoff.next(this.clock.now()));
    this.log.error({ worker_pid: record.pid, slot: record.slot, old_worker_pid: failed.oldPid ?? null, error: why, retry_in_ms: delay }, 'replacement failed; the old worker keeps serving');
    // Retry the same recycle later; the old worker serves meanwhile.
    this.queue.unshift({ slot: failed.slot, reason: failed.reason, pid: failed.oldPid, requestedAt: failed.requestedAt });
    this.queueBlockedUntil = this.clock.now() + delay;
    if (failed.oldPid === undefined) {
      // The old worker died meanwhile: the slot is empty, so restart it as after a crash.
      this.queue.shift();
      setTimeout(() => {
        if (this.phase === 'running' && !this.registry.all().some((r) => r.slot === failed.slot)) this.fork(failed.slot);
      }, delay).unref();
    }
    this.processQueue();
  }

  private checkMemory(record: WorkerRecord): void {
    const limit = this.options.maxWorkerMemoryBytes;
    if (limit === undefined || record.state !== 'ready' || record.rssBytes <= limit) return;
    if (this.clock.now() - (record.readyAt ?? record.startedAt) < MEMORY_RECYCLE_MIN_AGE_MS) return;
    if (this.queue.some((q) => q.pid === record.pid) || this.surge?.oldPid === record.pid) return;
    this.enqueue({ slot: record.slot, reason: 'memory', pid: record.pid, requestedAt: this.clock.now() });
  }

  private pingAndCheck(): void {
    this.evenOut();
    const now = this.clock.now();
    for (const record of this.registry.all()) {
      if (record.state !== 'ready' && record.state !== 'draining') continue;
      const silentMs = now - record.lastPongAt;
      if (silentMs > this.options.workerHealthcheckTimeoutMs && record.endedBy !== 'hung') {
        record.endedBy = 'hung';
        this.log.error({ worker_pid: record.pid, slot: record.slot, silent_ms: silentMs }, 'worker stopped answering pings; killing it');
        record.worker.process.kill('SIGKILL');
        continue;
      }
      this.send(record, { type: 'ping', seq: ++this.pingSeq });
    }
  }

  private shutdown(signal: string): void {
    if (this.phase === 'stopping') return;
    const delayMs = this.options.shutdownDelayMs;
    if (delayMs > 0 && this.shutdownTimer === undefined && this.phase === 'running') {
      // Load balancers take a few seconds to stop sending to a pod that is going away: keep
      // serving meanwhile, with readiness failing. A second signal does not wait.
      this.broadcast({ type: 'stopping' });
      this.log.info({ signal, delay_ms: delayMs }, 'shutting down after the shutdown delay: serving on, readiness now fails');
      this.shutdownTimer = setTimeout(() => this.shutdown(signal), delayMs);
      return;
    }
    clearTimeout(this.shutdownTimer);
    this.phase = 'stopping';
    this.queue = [];
    // New connections are refused once the draining workers close theirs too (a load balancer
    // moves on at once, rather than queueing on a host that will not accept again).
    this.opts.listenSocket?.close();
    this.opts.onShutdown?.();
    this.log.info({ signal, workers: this.registry.count() }, 'shutting down: draining every worker');
    if (this.registry.count() === 0) return this.exit(0);
    for (const record of this.registry.all()) this.drain(record, 'shutdown');
  }

  private reload(): void {
    if (this.phase !== 'running') {
      this.log.warn({ phase: this.phase }, 'SIGHUP ignored while not running');
      return;
    }
    const check = this.opts.checkConfig();
    for (const warning of check.warnings) this.log.warn(warning);
    if (!check.ok) {
      this.log.error({ problems: check.problems }, 'reload rejected: the config has problems; the workers keep the config they run');
      return;
    }
    const requestedAt = this.clock.now();
    const prices = this.opts.prices();
    for (const record of this.registry.all()) if (record.state === 'ready') this.send(record, { type: 'reload-accepted', prices });
    this.queue = this.queue.filter((q) => q.reason !== 'reload');
    for (let slot = 0; slot < this.options.numWorkers; slot++) this.queue.push({ slot, reason: 'reload', requestedAt });
    this.log.info({ workers: this.options.numWorkers }, 'reload accepted: replacing every worker, one boot at a time');
    this.processQueue();
  }

  /** Kills every worker and exits now (second SIGINT, or workers that cannot start). */
  private abortNow(code = 130): void {
    this.phase = 'stopping';
    for (const record of this.registry.all()) record.worker.process.kill('SIGKILL');
    this.exit(code);
  }

  private exit(code: number): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    const finish = this.finish;
    this.finish = undefined;
    finish?.(code);
  }

  private after(record: WorkerRecord, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      record.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    record.timers.add(timer);
  }
}

/** Requests per second since the previous pong (a first pong only sets the mark). */
function noteRequestRate(record: WorkerRecord, served: number, now: number): void {
  if (record.lastRateAt !== undefined && record.lastRateServed !== undefined && now > record.lastRateAt) {
    record.requestRate = ((served - record.lastRateServed) * 1000) / (now - record.lastRateAt);
  }
  record.lastRateAt = now;
  record.lastRateServed = served;
}

/**
 * Requests a worker served past its request limit when it reached `served` (max_requests recycles
 * only; undefined for a worker without a limit).
 */
function recycleOvershoot(record: WorkerRecord, served: number): number | undefined {
  if (record.limit === undefined || served < record.limit) return undefined;
  return served - record.limit;
}

export type { Worker };
