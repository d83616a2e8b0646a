import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/index.js';
import type { PriceBook } from '../cost/index.js';
import { Cancellation, GatewayError, sequentialId, type Logger } from '../core/index.js';
import type { HealthEndpoints } from '../health/index.js';
import { createResponseCache, type CacheDeps } from '../cache/index.js';
import { createResponseStore, type ResponseStore } from '../response-store/index.js';
import type { Router } from '../router/index.js';
import type { SpendLogs } from '../spend/index.js';
import { resolveModel, type Caller, type VirtualKeys } from '../keys/index.js';
import { keyRoutes } from './routes/key-routes.js';
import type { LimitGate } from '../limits/index.js';
import { KeyCheck } from './auth.js';
import { CallLimits } from './call-limits.js';
import { priceCall } from './call-cost.js';
import { spendRecord } from './spend-record.js';
import { spendRoutes } from './routes/spend-routes.js';
import { sendError } from './error-response.js';
import { noteLargeGarbage } from './http/memory-release.js';
import { readJsonBody, type BodyLimits } from './http/request-body.js';
import { RouteTable, type RouteMatch, type RouteSpec } from './http/route-table.js';
import { logRequest } from './request-log.js';
import type { RequestContext } from './request-context.js';
import { CALL_ID_HEADER, REQUEST_ID_HEADER, VERSION_HEADER } from './response-headers.js';
import { anthropicRoutes } from './routes/anthropic-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes, type MetricsEndpoint } from './routes/metrics-routes.js';
import { modelInfoRoutes } from './routes/model-info-routes.js';
import { openAIRoutes } from './routes/openai-routes.js';
import { responsesRoutes } from './routes/responses-routes.js';
import { tokenCountRoutes } from './routes/token-count-routes.js';
import { testHookRoutes } from './routes/test-hook-routes.js';
import type { ServerState } from './server-state.js';

export interface AppDeps {
  config: Config;
  router: Router;
  logger: Logger;
  state: ServerState;
  /** Answers `/health`, `/health/shared-status` and readiness details. */
  health: HealthEndpoints;
  /** The body size limit and the worker's budget of body bytes in flight. */
  bodyLimits: BodyLimits;
  version: string;
  testHooks?: boolean;
  /** Called as each request arrives (after it is counted in `state.served`). */
  onRequestStart?: (state: ServerState) => void;
  /** Called once per request when its response is over (finished or connection closed). */
  onRequestEnd?: (ctx: RequestContext, status: number, route: string) => void;
  /** GET /metrics (answered from the primary); undefined when metrics are off. */
  metrics?: MetricsEndpoint;
  /** Stored Responses API answers; default: Redis when configured, else this worker's memory. */
  responseStore?: ResponseStore;
  /** Every deployment's price, resolved by the primary (plain data: the worker never loads the price library). */
  prices: PriceBook;
  /** Spend logs in PostgreSQL; undefined without a database (or with disable_spend_logs). */
  spend?: SpendLogs;
  /** Virtual keys (a database is configured); undefined: the master key only. */
  keys?: VirtualKeys;
  /** Virtual keys' limits (rpm, tpm, parallel, budgets); used only with `keys`. */
  limits?: LimitGate;
  /** The response cache; default: from the config (`litellm_settings.cache`); null: none. */
  responseCache?: CacheDeps | null;
  /** Each answer written to the response cache (metrics). */
  onCacheStored?: CacheDeps['onStored'];
}

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

const REQUEST_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

/**
 * The HTTP application on bare node:http: a route table, the key check, bounded JSON bodies,
 * one context per request, and every failure answered in the route's error shape. (It replaced
 * fastify on the hot path: the framework's per-request pipeline cost about 15% of throughput
 * next to a bare proxy, more than everything else this layer does.)
 */
export function createRequestHandler(deps: AppDeps): RequestHandler {
  const { config, state, logger } = deps;
  const prices = deps.prices;
  const spend = deps.spend;
  const cache = deps.responseCache === undefined ? createResponseCache(config, logger, deps.onCacheStored) : deps.responseCache ?? undefined;
  const routes: RouteSpec[] = [
    ...healthRoutes({ state, version: deps.version, health: deps.health }),
    ...metricsRoutes(deps.metrics, config.metricsRequireAuth),
    ...(deps.testHooks ? testHookRoutes(logger) : []),
    ...openAIRoutes({ router: deps.router, logger, startedAtSeconds: Math.floor(Date.now() / 1000), prices, cache }),
    ...(deps.keys === undefined ? [] : keyRoutes(deps.keys)),
    ...anthropicRoutes({ router: deps.router, logger, prices, cache }),
    ...modelInfoRoutes(config),
    ...responsesRoutes({ router: deps.router, store: deps.responseStore ?? createResponseStore(config, logger), logger, prices }),
    ...tokenCountRoutes({ router: deps.router, config }),
    ...spendRoutes(deps.spend),
  ];
  const table = new RouteTable(routes);
  const master = new KeyCheck(config.masterKey);
  const virtualKeys = deps.keys;
  const callLimits = virtualKeys === undefined || deps.limits === undefined ? undefined : new CallLimits(deps.limits, config, prices);

  const run = async (ctx: RequestContext, match: RouteMatch): Promise<void> => {
    const route = match.route;
    if (route.public !== true) {
      if (virtualKeys === undefined) master.verify(ctx.request.headers, ctx.request.socket);
      else {
        // The master key first (its fast path as before), then the virtual key, from the cache.
        const presented = master.otherThanMaster(ctx.request.headers, ctx.request.socket);
        if (presented !== undefined) {
          const found = virtualKeys.authenticate(presented.key, presented.tokenHash);
          ctx.caller = found instanceof Promise ? await found : found;
          if (route.adminOnly === true && !ctx.caller.admin) {
            throw new GatewayError('admin_only', `Authentication Error, only proxy admins may call ${ctx.route}; this key's user is not one.`);
          }
        }
      }
    }
    const body = route.readsBody === true ? await readJsonBody(ctx.request, deps.bodyLimits, ctx) : undefined;
    if (ctx.caller !== undefined && route.adminOnly !== true) {
      const allowed = allowedModel(ctx.caller, body, match.params);
      if (callLimits !== undefined && route.callKind !== undefined) {
        const admitting = callLimits.admit(ctx, ctx.caller, route.callKind, allowed.body, allowed.params.deployment, () => state.active.has(ctx));
        if (admitting !== undefined) await admitting;
      }
      await route.handle(ctx, allowed.body, allowed.params);
      return;
    }
    await route.handle(ctx, body, match.params);
  };

  return (request, response) => {
    const header = request.headers[REQUEST_ID_HEADER];
    const idFromClient = typeof header === 'string' && REQUEST_ID_PATTERN.test(header);
    const id = idFromClient ? header : sequentialId();
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = request.method ?? 'GET';
    const match = table.match(method, path);
    // Every field from the start: the routes fill them in later, and an object that keeps one
    // shape stays on V8's fast path (adding them one by one made a new hidden class per field).
    const ctx: RequestContext = {
      id, idFromClient, startedAt: performance.now(), abort: new Cancellation(), request, response, method,
      // LiteLLM's call id (the request id again) and version header go on every response.
      headers: state.draining || closesAfterThis(state, request)
        ? [REQUEST_ID_HEADER, id, CALL_ID_HEADER, id, VERSION_HEADER, deps.version, 'connection', 'close']
        : [REQUEST_ID_HEADER, id, CALL_ID_HEADER, id, VERSION_HEADER, deps.version],
      route: match?.label ?? 'unmatched', errorShape: match?.route.errorShape ?? 'openai',
      modelGroup: undefined, deployment: undefined, apiBase: undefined, attempts: undefined, retries: undefined, fallbacks: undefined,
      fallbackGroup: undefined, stream: undefined, upstreamMs: undefined, firstByteMs: undefined, overheadMs: undefined,
      errorCode: undefined, usage: undefined, cost: undefined, tags: undefined, caller: undefined, admission: undefined,
      cache: undefined, cacheType: undefined, cacheKey: undefined, savedUsd: undefined, bodyBytes: 0,
    };
    state.served++;
    state.active.add(ctx);
    deps.onRequestStart?.(state);
    response.on('close', () => { // 'close' comes once; `on` spares the once-wrapper
      state.active.delete(ctx);
      if (ctx.bodyBytes > 0) {
        deps.bodyLimits.budget.give(ctx.bodyBytes);
        noteLargeGarbage(ctx.bodyBytes);
      }
      // The client went away before the response was complete: stop the upstream call now.
      if (!response.writableFinished) ctx.abort.abort();
      const status = response.writableFinished ? response.statusCode : 499;
      priceCall(ctx, prices); // a stream's usage came with its end
      callLimits?.settle(ctx);
      logRequest(logger, ctx, status);
      if (spend !== undefined) {
        const row = spendRecord(ctx, status);
        if (row !== undefined) spend.record(row);
      }
      deps.onRequestEnd?.(ctx, status, ctx.route);
    });

    if (match === undefined) {
      const allowed = table.allowed(path);
      const error = allowed === undefined
        ? new GatewayError('not_found', `Unknown route: ${method} ${path}`)
        : new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; use ${allowed.join(', ')}.`, { headers: { allow: allowed.join(', ') } });
      sendError(ctx, error, logger);
      return;
    }
    run(ctx, match).catch((error: unknown) => sendError(ctx, error, logger));
  };
}

/**
 * A virtual key's request names a model it may use (its `models` and its team's), and an alias of
 * the key's is replaced by its model group before anything routes it. The body's `model` (or the
 * Azure path's deployment, which stands for it) is what is checked.
 */
function allowedModel(caller: Caller, body: unknown, params: Readonly<Record<string, string>>): { body: unknown; params: Readonly<Record<string, string>> } {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && typeof (body as { model?: unknown }).model === 'string') {
    const requested = (body as { model: string }).model;
    const group = resolveModel(caller, requested);
    return { body: group === requested ? body : { ...body, model: group }, params };
  }
  const deployment = params.deployment;
  if (deployment !== undefined) {
    const group = resolveModel(caller, deployment);
    return { body, params: group === deployment ? params : { ...params, deployment: group } };
  }
  return { body, params };
}

/** A connection picked to move to another worker (rebalance.ts) ends after this response. */
function closesAfterThis(state: ServerState, request: IncomingMessage): boolean {
  if (!state.shedding.has(request.socket)) return false;
  state.shedding.delete(request.socket);
  return true;
}
