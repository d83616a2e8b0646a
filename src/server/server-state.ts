import type { Socket } from 'node:net';
import type { RequestContext } from './request-context.js';

/** The worker's own state, shared by routes and the drain logic. */
export interface ServerState {
  /** Set when the worker stops taking new work (recycle or shutdown). */
  draining: boolean;
  /** The host is shutting down after --shutdown_delay: still serving, but readiness fails. */
  stopping: boolean;
  /** Requests received so far (every HTTP request counts, health probes included). */
  served: number;
  /** Requests currently being handled, so a drain can mark or end them. */
  readonly active: Set<RequestContext>;
  /** Open client connections (rebalance picks from these). */
  readonly connections: Set<Socket>;
  /** Connections whose next response carries `Connection: close` (see shedConnections). */
  readonly shedding: WeakSet<Socket>;
}

export function createServerState(): ServerState {
  return { draining: false, stopping: false, served: 0, active: new Set(), connections: new Set(), shedding: new WeakSet() };
}
