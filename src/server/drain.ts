import { Server as NetServer } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { GatewayError } from '../core/index.js';
import type { ServerState } from './server-state.js';
import { addHeader } from './http/respond.js';

export interface DrainResult {
  inFlightAtStart: number;
  durationMs: number;
  /** Requests still open at the graceful timeout, ended by the gateway. */
  forced: number;
}

/**
 * Takes this worker out of service without dropping a request:
 * - it stops accepting connections (in a cluster the primary stops handing it any);
 * - every response from now on, including those in flight whose headers are not yet sent, carries
 *   `Connection: close`, so clients move to another worker;
 * - idle keep-alive sockets close at their keep-alive deadline, which clients know from the
 *   `Keep-Alive: timeout=N` header and stay clear of: closing them earlier would race a client
 *   that is just sending its next request on one;
 * - in-flight requests and streams finish; past the graceful timeout they are ended (a stream gets
 *   a final error event) and every remaining connection is closed.
 */
export async function drainServer(server: HttpServer, state: ServerState, gracefulTimeoutMs: number): Promise<DrainResult> {
  const started = performance.now();
  state.draining = true;
  const inFlightAtStart = state.active.size;
  for (const ctx of state.active) {
    if (!ctx.headers.includes('connection')) addHeader(ctx, 'connection', 'close');
  }
  // net.Server#close stops accepting but, unlike http.Server#close, leaves idle sockets alone.
  const allClosed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));

  let forced = 0;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), gracefulTimeoutMs);
  });
  const outcome = await Promise.race([allClosed.then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);

  if (outcome === 'timeout') {
    forced = state.active.size;
    const reason = new GatewayError('shutting_down', 'The gateway worker serving this request is shutting down; retry the request.');
    for (const ctx of state.active) ctx.abort.abort(reason);
    await waitUntil(() => state.active.size === 0, 1000);
    server.closeAllConnections();
    await Promise.race([allClosed, sleep(1000)]);
  }
  return { inFlightAtStart, durationMs: performance.now() - started, forced };
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await sleep(10);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
