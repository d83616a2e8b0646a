import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/index.js';
import type { HealthEndpoints, HealthQuery } from '../../health/index.js';
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
export function registerHealthRoutes(app: FastifyInstance, deps: HealthRouteDeps): void {
  const publicRoute = { config: { public: true } };

  const liveness = async (_request: unknown, reply: FastifyReply) => {
    if (deps.state.draining) return reply.code(503).send({ status: 'shutting_down' });
    return reply.send("I'm alive!");
  };
  app.get('/health/liveliness', publicRoute, liveness);
  app.get('/health/liveness', publicRoute, liveness);

  // Redis being down or workers missing does not make this worker unready: it serves without
  // them (Redis is an optimisation), and taking every pod out when Redis dies would be an outage.
  app.get('/health/readiness', publicRoute, async (_request, reply) => {
    const extra = deps.health.readiness();
    if (deps.state.draining) return reply.code(503).send({ status: 'shutting_down', draining: true, ...extra });
    return reply.send({ status: 'healthy', draining: false, ...extra, switchyard_version: deps.version });
  });

  app.get('/health', async (request, reply) => {
    const report = await deps.health.report(healthQuery(request), request.sy.abort.signal);
    return reply.code(report.status).send(report.body);
  });

  app.get('/health/shared-status', async (_request, reply) => reply.send(await deps.health.sharedStatus()));
}

function healthQuery(request: FastifyRequest): HealthQuery {
  const query = (request.query ?? {}) as Record<string, unknown>;
  return { model: queryText(query, 'model'), modelId: queryText(query, 'model_id') };
}

function queryText(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new GatewayError('invalid_request', `Query parameter ${name} must be given once, not empty.`, { param: name });
  return value;
}
