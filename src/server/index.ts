export { createRequestHandler, type AppDeps, type RequestHandler } from './app.js';
export { startServer, StartupError, type RunningServer, type ServeOptions } from './serve.js';
export type { ServerState } from './server-state.js';
export { drainServer, type DrainResult } from './drain.js';
export type { RequestContext } from './request-context.js';
export { shedConnections } from './rebalance.js';
