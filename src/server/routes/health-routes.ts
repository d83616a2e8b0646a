import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerState } from '../server-state.js';

export interface HealthRouteDeps {
  state: ServerState;
  version: string;
}

/** Liveness and readiness: public, cheap, and 503 while this worker is draining. */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthRouteDeps): void {
  const publicRoute = { config: { public: true } };

  const liveness = async (_request: unknown, reply: FastifyReply) => {
    if (deps.state.draining) return reply.code(503).send({ status: 'shutting_down' });
    return reply.send("I'm alive!");
  };
  app.get('/health/liveliness', publicRoute, liveness);
  app.get('/health/liveness', publicRoute, liveness);

  app.get('/health/readiness', publicRoute, async (_request, reply) => {
    if (deps.state.draining) return reply.code(503).send({ status: 'shutting_down', draining: true });
    return reply.send({ status: 'healthy', draining: false, switchyard_version: deps.version });
  });
}
