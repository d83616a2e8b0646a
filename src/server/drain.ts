import { Server as NetServer } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { GatewayError } from '../core/index.js';
import type { ServerState } from './server-state.js';
import { addHeader } from './http/respond.js';

export interface DrainResult {
  inFlightAtStart: number;
  /** Requests received before the drain began (the worker's count at that moment). */
  servedAtStart: number;
  durationMs: number;
  /** Requests still open at the drain's deadline, ended by the gateway. */
  forced: number;
}

export interface Drain {
  readonly result: Promise<DrainResult>;
  /** Brings the deadline forward to `timeoutMs` from now, if that is sooner (a shutdown during a recycle's drain). */
  shorten(timeoutMs: number): void;
}

/**
 * Takes this worker out of service without dropping a request:
 * - it stops accepting connections (in a cluster the primary stops handing it any);
 * - every response from now on, including those in flight whose headers are not yet sent, carries
 *   `Connection: close`, so clients move to another worker;
 * - idle keep-alive sockets close at their keep-alive deadline, which clients know from the
 *   `Keep-Alive: timeout=N` header and stay clear of: closing them earlier would race a client
 *   that is just sending its next request on one;
 * - in-flight requests and streams finish. Only at the deadline are the ones still open ended (a
 *   stream gets a final error event) and every remaining connection closed. The caller picks the
 *   deadline: --graceful_timeout when the host shuts down, --recycle_drain_timeout (an hour by
 *   default) for a routine recycle, which must not cut an answer that is still arriving; each
 *   request's own timeouts bound it meanwhile.
 */
export function drainServer(server: HttpServer, state: ServerState, timeoutMs: number): Drain {
  const started = performance.now();
  state.draining = true;
  const inFlightAtStart = state.active.size;
  const servedAtStart = state.served;
  for (const ctx of state.active) {
    if (!ctx.headers.includes('connection')) addHeader(ctx, 'connection', 'close');
  }
  // net.Server#close stops accepting but, unlike http.Server#close, leaves idle sockets alone.
  const allClosed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));

  let deadline = started + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let onDeadline: () => void = () => undefined;
  const deadlinePassed = new Promise<'deadline'>((resolve) => {
    onDeadline = () => resolve('deadline');
    timer = setTimeout(onDeadline, timeoutMs);
  });

  const result = (async (): Promise<DrainResult> => {
    const outcome = await Promise.race([allClosed.then(() => 'closed' as const), deadlinePassed]);
    clearTimeout(timer);
    let forced = 0;
    if (outcome === 'deadline') {
      forced = state.active.size;
      const reason = new GatewayError('shutting_down', 'The gateway worker serving this request is shutting down; retry the request.');
      for (const ctx of state.active) ctx.abort.abort(reason);
      await waitUntil(() => state.active.size === 0, 1000);
      server.closeAllConnections();
      await Promise.race([allClosed, sleep(1000)]);
    }
    return { inFlightAtStart, servedAtStart, durationMs: performance.now() - started, forced };
  })();

  return {
    result,
    shorten(ms) {
      const next = performance.now() + ms;
      if (next >= deadline) return;
      deadline = next;
      clearTimeout(timer);
      timer = setTimeout(onDeadline, ms);
    },
  };
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await sleep(10);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
