import { GatewayError } from '../../core/index.js';
import type { HealthEndpoints, HealthQuery } from '../../health/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { queryOf, sendJson } from '../http/respond.js';
import type { RequestContext } from '../request-context.js';
import type { ServerState } from '../server-state.js';

export interface HealthRouteDeps {
  state: ServerState;
  version: string;
  health: HealthEndpoints;
}

/**
 * Liveness and readiness: public, cheap, and 503 while this worker is draining. `/health` and
 * `/health/shared-status` need the key (they name deployments and hosts).
 */
export function healthRoutes(deps: HealthRouteDeps): RouteSpec[] {
  return [
    {
      method: 'GET',
      paths: ['/health/liveliness', '/health/liveness'],
      public: true,
      handle(ctx) {
        if (deps.state.draining) sendJson(ctx, 503, { status: 'shutting_down' });
        else sendJson(ctx, 200, "I'm alive!");
      },
    },
    {
      // Redis being down or workers missing does not make this worker unready: it serves without
      // them (Redis is an optimisation), and taking every pod out when Redis dies would be an outage.
      method: 'GET',
      paths: ['/health/readiness'],
      public: true,
      async handle(ctx) {
        const extra = await deps.health.readiness();
        if (deps.state.draining || deps.state.stopping) sendJson(ctx, 503, { status: 'shutting_down', draining: deps.state.draining, ...extra });
        else sendJson(ctx, 200, { status: 'healthy', draining: false, ...extra, switchyard_version: deps.version });
      },
    },
    {
      method: 'GET',
      paths: ['/health'],
      async handle(ctx) {
        const report = await deps.health.report(healthQuery(ctx), ctx.abort.signal);
        sendJson(ctx, report.status, report.body);
      },
    },
    {
      method: 'GET',
      paths: ['/health/shared-status'],
      async handle(ctx) {
        sendJson(ctx, 200, await deps.health.sharedStatus());
      },
    },
  ];
}

function healthQuery(ctx: RequestContext): HealthQuery {
  const query = queryOf(ctx.request.url);
  return { model: queryText(query, 'model'), modelId: queryText(query, 'model_id') };
}

function queryText(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  const value = values[0] as string;
  if (values.length > 1 || value.trim() === '') throw new GatewayError('invalid_request', `Query parameter ${name} must be given once, not empty.`, { param: name });
  return value;
}
