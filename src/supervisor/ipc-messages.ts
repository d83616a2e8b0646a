import type { MetricsPrimaryMessage, MetricsWorkerMessage } from '../metrics/index.js';
import type { HealthPrimaryMessage } from '../health/index.js';
import type { DeploymentPrices } from '../cost/index.js';
import type { LimitsPrimaryMessage, LimitsWorkerMessage } from '../limits/index.js';

/**
 * Every message between the primary and its workers, as one discriminated union. Both sides
 * send and receive only these; anything else on the channel is ignored.
 */

/** Worker → primary. */
export type WorkerMessage =
  /** Its link listens: the primary answers with `listen` (sent earlier, an unbundled worker could miss it). */
  | { type: 'hello' }
  /** Listening with its config loaded: it may take traffic. */
  | { type: 'ready'; port: number; codeCache: CodeCacheOutcome; /** CPU time the process used to get here. */ cpuMs: number }
  /** Could not start (bad config, port in use, …); the worker exits right after. */
  | { type: 'boot-failed'; error: string; problems: string[] }
  /** It has served its request limit and asks to be recycled (it keeps serving until told). */
  | { type: 'limit-reached'; served: number; limit: number }
  | { type: 'pong'; seq: number; stats: WorkerStats }
  /** Drain done: every request finished or the graceful timeout passed; it exits next. */
  | { type: 'drained'; served: number; servedAtStart: number; inFlightAtStart: number; durationMs: number; forced: number }
  /** Metrics deltas (at least once a second, and a final acknowledged one) and scrape requests. */
  | MetricsWorkerMessage
  /** A virtual key's limits counted by the host while Redis is away (src/limits/host-limits.ts). */
  | LimitsWorkerMessage;

/** Primary → worker. */
export type PrimaryMessage =
  /**
   * Where to listen, the answer to the worker's `hello`: with `shared`, the primary's listening socket
   * comes with the message (listen-socket.ts); without, the worker listens on host and port.
   * `prices`: every deployment's price, resolved once by the primary with the price library, which
   * a worker never loads (src/cost/primary.ts).
   */
  | { type: 'listen'; shared: boolean; prices: DeploymentPrices }
  /** Close a share of the keep-alive connections (after their current response): a restarted worker has joined. */
  | { type: 'rebalance'; share: number }
  | { type: 'ping'; seq: number }
  /** A new config was accepted (SIGHUP): until replaced, serve its new model groups from it, at these prices. */
  | { type: 'reload-accepted'; prices: DeploymentPrices }
  /** SIGTERM with --shutdown_delay: keep serving, but readiness answers 503 until the drain. */
  | { type: 'stopping' }
  /**
   * Stop accepting, finish in-flight work, flush, exit; what is still open after `timeoutMs` is
   * ended. Sent again to a draining worker, it can only bring that deadline forward.
   */
  | { type: 'drain'; timeoutMs: number; reason: RecycleReason | 'shutdown' }
  /** Acknowledges a final metrics push; answers a scrape request with the host's exposition text. */
  | MetricsPrimaryMessage
  /** Health check results and workers ready (src/health). */
  | HealthPrimaryMessage
  /** The host's verdict on a call's limits (src/limits/host-limits.ts). */
  | LimitsPrimaryMessage;

export interface WorkerStats {
  served: number;
  inFlight: number;
  rssBytes: number;
  /** Event-loop delay since the last pong (ms). */
  eventLoopLagMs: number;
}

/** How the worker's code was loaded: from the bundle with V8's code cache (hit), compiled (miss, rejected), or unbundled. */
export type CodeCacheOutcome = 'hit' | 'miss' | 'rejected' | 'unbundled';

export type RecycleReason = 'max_requests' | 'memory' | 'reload';
export type RestartReason = RecycleReason | 'hung' | 'crash';

// Every type of each union, as records so that adding a message type without listing it here
// is a compile error (the guards below would otherwise drop it silently).
const WORKER_TYPES: Record<WorkerMessage['type'], true> = {
  hello: true, ready: true, 'boot-failed': true, 'limit-reached': true, pong: true, drained: true, 'metrics-push': true, 'metrics-scrape': true,
  'limits-batch': true, 'limits-spent': true, 'limits-renew': true,
};
const PRIMARY_TYPES: Record<PrimaryMessage['type'], true> = {
  listen: true, rebalance: true, stopping: true, 'reload-accepted': true, ping: true, drain: true, 'metrics-ack': true, 'metrics-text': true, 'health-results': true, 'workers-ready': true, 'limits-verdict': true,
};

export type WorkerMessageOf<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;
export type PrimaryMessageOf<T extends PrimaryMessage['type']> = Extract<PrimaryMessage, { type: T }>;

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return typeof type === 'string' && Object.hasOwn(WORKER_TYPES, type);
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return typeof type === 'string' && Object.hasOwn(PRIMARY_TYPES, type);
}
