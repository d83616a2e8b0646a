/** The worker's own state, shared by routes and the drain logic. */
export interface ServerState {
  /** Set when the worker stops taking new work (recycle or shutdown). */
  draining: boolean;
  /** Requests received so far (every HTTP request counts, health probes included). */
  served: number;
  /** Requests currently being handled. */
  inFlight: number;
}

export function createServerState(): ServerState {
  return { draining: false, served: 0, inFlight: 0 };
}
