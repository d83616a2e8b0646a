export { buildApp, type AppDeps } from './app.js';
export { startServer, buildDeploymentClients, StartupError, type RunningServer, type ServeOptions } from './serve.js';
export type { ServerState } from './server-state.js';
export type { RequestContext } from './request-context.js';
