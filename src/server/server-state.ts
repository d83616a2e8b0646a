import type { RequestContext } from './request-context.js';

/** The worker's own state, shared by routes and the drain logic. */
export interface ServerState {
  /** Set when the worker stops taking new work (recycle or shutdown). */
  draining: boolean;
  /** Requests received so far (every HTTP request counts, health probes included). */
  served: number;
  /** Requests currently being handled, so a drain can mark or end them. */
  readonly active: Set<RequestContext>;
}

export function createServerState(): ServerState {
  return { draining: false, served: 0, active: new Set() };
}
