import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { GatewayError, sequentialId, type Logger } from '../core/index.js';
import type { HealthEndpoints } from '../health/index.js';
import type { Router } from '../router/index.js';
import { KeyCheck } from './auth.js';
import { sendError, toGatewayError } from './error-response.js';
import { logRequest } from './request-log.js';
import type { RequestContext } from './request-context.js';
import { REQUEST_ID_HEADER } from './response-headers.js';
import { registerAnthropicRoutes } from './routes/anthropic-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerMetricsRoutes, type MetricsEndpoint } from './routes/metrics-routes.js';
import { registerOpenAIRoutes } from './routes/openai-routes.js';
import { registerTestHookRoutes } from './routes/test-hook-routes.js';
import type { ServerState } from './server-state.js';

export interface AppDeps {
  config: Config;
  router: Router;
  logger: Logger;
  state: ServerState;
  /** Answers `/health`, `/health/shared-status` and readiness details. */
  health: HealthEndpoints;
  version: string;
  keepAliveTimeoutMs: number;
  tls?: { key: Buffer; cert: Buffer };
  testHooks?: boolean;
  /** Called as each request arrives (after it is counted in `state.served`). */
  onRequestStart?: (state: ServerState) => void;
  /** Called once per request when its response is over (finished or connection closed). */
  onRequestEnd?: (ctx: RequestContext, status: number, route: string) => void;
  /** GET /metrics (answered from the primary); undefined when metrics are off. */
  metrics?: MetricsEndpoint;
}

const REQUEST_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, state } = deps;
  const app = Fastify({
    logger: false,
    bodyLimit: config.maxRequestBytes,
    keepAliveTimeout: deps.keepAliveTimeoutMs,
    // Node's default headersTimeout must exceed keepAliveTimeout or idle sockets race it.
    return503OnClosing: false,
    forceCloseConnections: false,
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    ...(deps.tls ? { https: deps.tls } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  const keys = new KeyCheck(config.masterKey);

  // Any content type is read as JSON: curl -d sends form-encoded by default and LiteLLM accepts it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new GatewayError('invalid_json', `Request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.decorateRequest('sy', null as unknown as RequestContext);

  app.addHook('onRequest', (request, reply, done) => {
    const header = request.headers[REQUEST_ID_HEADER];
    const id = typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : sequentialId();
    const res = reply.raw;
    const ctx: RequestContext = { id, startedAt: performance.now(), abort: new AbortController(), response: res };
    request.sy = ctx;
    state.served++;
    state.active.add(ctx);
    deps.onRequestStart?.(state);
    res.setHeader(REQUEST_ID_HEADER, id);
    if (state.draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      state.active.delete(ctx);
      // The client went away before the response was complete: stop the upstream call now.
      if (!res.writableFinished) ctx.abort.abort();
      const route = request.routeOptions.url ?? 'unmatched';
      const status = res.writableFinished ? res.statusCode : 499;
      logRequest(deps.logger, request, ctx, status, route);
      deps.onRequestEnd?.(ctx, status, route);
    });
    if (request.routeOptions.config?.public === true) return done();
    try {
      keys.verify(request.headers);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const failure = toGatewayError(error, config.maxRequestBytes);
    if (failure.code === 'internal_error') deps.logger.error({ err: error, request_id: request.sy?.id }, 'unhandled error');
    return sendError(request, reply, failure);
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new GatewayError('not_found', `Unknown route: ${request.method} ${request.url.split('?')[0]}`);
    return sendError(request, reply, error);
  });

  registerHealthRoutes(app, { state, version: deps.version, health: deps.health });
  registerMetricsRoutes(app, deps.metrics, config.metricsRequireAuth);
  if (deps.testHooks) registerTestHookRoutes(app, deps.logger);
  registerOpenAIRoutes(app, { router: deps.router, startedAtSeconds: Math.floor(Date.now() / 1000) });
  registerAnthropicRoutes(app, { router: deps.router });
  return app;
}
