import { createRequire } from 'node:module';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Logger } from '../../core/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { queryOf, sendJson } from '../http/respond.js';

/**
 * Test-only routes, registered only when SWITCHYARD_TEST_HOOKS=1. They let the test suite put a
 * worker into states that real bugs produce: an event loop stuck in a busy loop.
 */
export function testHookRoutes(logger: Logger): RouteSpec[] {
  return [
    {
      method: 'POST',
      paths: ['/__test/block-event-loop'],
      public: true,
      handle(ctx) {
        const ms = Math.min(120_000, Number(queryOf(ctx.request.url).get('ms') ?? 1000));
        logger.warn({ ms }, 'test hook: blocking the event loop');
        // Answer first, so the caller is not the one left waiting, then spin.
        ctx.response.once('finish', () => {
          const until = Date.now() + ms;
          while (Date.now() < until) {
            // busy loop on purpose: this is what a stuck worker looks like
          }
        });
        sendJson(ctx, 200, { blocking_ms: ms, pid: process.pid });
      },
    },
    { method: 'GET', paths: ['/__test/whoami'], public: true, handle: (ctx) => sendJson(ctx, 200, { pid: process.pid }) },
    {
      // The files this worker has required (CommonJS: the worker bundle and what it requires at run
      // time), so a test can check that a package stayed out of the worker (the price library).
      method: 'GET',
      paths: ['/__test/required-modules'],
      public: true,
      handle: (ctx) => sendJson(ctx, 200, { pid: process.pid, modules: Object.keys(createRequire(import.meta.url).cache) }),
    },
    {
      method: 'GET',
      paths: ['/__test/memory'],
      public: true,
      handle: (ctx) => {
        // With --expose-gc, collect first: what is left is what the worker holds on to.
        (globalThis as { gc?: () => void }).gc?.();
        sendJson(ctx, 200, {
        usage: process.memoryUsage(),
          spaces: getHeapSpaceStatistics().map((s) => ({ space: s.space_name, size: s.space_size, used: s.space_used_size })),
        });
      },
    },
  ];
}
