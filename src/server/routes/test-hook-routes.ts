import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/index.js';

/**
 * Test-only routes, registered only when SWITCHYARD_TEST_HOOKS=1. They let the test suite put a
 * worker into states that real bugs produce: an event loop stuck in a busy loop.
 */
export function registerTestHookRoutes(app: FastifyInstance, logger: Logger): void {
  app.post('/__test/block-event-loop', { config: { public: true } }, async (request, reply) => {
    const ms = Math.min(120_000, Number((request.query as { ms?: string }).ms ?? 1000));
    logger.warn({ ms }, 'test hook: blocking the event loop');
    // Answer first, so the caller is not the one left waiting, then spin.
    reply.raw.once('finish', () => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        // busy loop on purpose: this is what a stuck worker looks like
      }
    });
    return reply.send({ blocking_ms: ms, pid: process.pid });
  });

  app.get('/__test/whoami', { config: { public: true } }, async () => ({ pid: process.pid }));
}
