/**
 * Every message between the primary and its workers, as one discriminated union. Both sides
 * send and receive only these; anything else on the channel is ignored.
 */

/** Worker → primary. */
export type WorkerMessage =
  /** Listening with its config loaded: it may take traffic. */
  | { type: 'ready'; port: number }
  /** Could not start (bad config, port in use, …); the worker exits right after. */
  | { type: 'boot-failed'; error: string; problems: string[] }
  /** It has served its request limit and asks to be recycled (it keeps serving until told). */
  | { type: 'limit-reached'; served: number; limit: number }
  | { type: 'pong'; seq: number; stats: WorkerStats }
  /** Drain done: every request finished or the graceful timeout passed; it exits next. */
  | { type: 'drained'; served: number; inFlightAtStart: number; durationMs: number; forced: number };

/** Primary → worker. */
export type PrimaryMessage =
  | { type: 'ping'; seq: number }
  /** Stop accepting, finish in-flight work within the timeout, flush, exit. */
  | { type: 'drain'; gracefulTimeoutMs: number; reason: RecycleReason | 'shutdown' };

export interface WorkerStats {
  served: number;
  inFlight: number;
  rssBytes: number;
  /** Event-loop delay since the last pong (ms). */
  eventLoopLagMs: number;
}

export type RecycleReason = 'max_requests' | 'memory' | 'reload';
export type RestartReason = RecycleReason | 'hung' | 'crash';

const WORKER_TYPES = new Set(['ready', 'boot-failed', 'limit-reached', 'pong', 'drained']);
const PRIMARY_TYPES = new Set(['ping', 'drain']);

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && WORKER_TYPES.has((value as { type?: string }).type ?? '');
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return typeof value === 'object' && value !== null && PRIMARY_TYPES.has((value as { type?: string }).type ?? '');
}
