import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/**
 * /health/readiness reports Redis as a bounded PING sees it: a Redis that hangs (frozen with
 * SIGSTOP, as `DEBUG SLEEP` or a stalled host would) is "unavailable" once the last answer (at
 * most a second old) has aged out, even when no request has used Redis, and readiness itself still
 * answers promptly (and 200: Redis is optional).
 */

let redis: RedisProcess;
let gateway: GatewayProcess;

before(async () => {
  redis = await startRedis();
  gateway = await startGateway({
    config: { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', mock_response: 'hi' } }], router_settings: { redis_url: redis.url } },
  });
});

after(async () => {
  redis.resume();
  await stopAllGateways();
  await redis.stop();
});

async function readiness(): Promise<{ status: number; redis: unknown; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${gateway.url}/health/readiness`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { redis?: unknown };
  return { status: response.status, redis: body.redis, ms: Date.now() - started };
}

async function until(expected: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = (await readiness()).redis;
    if (last === expected) return;
    await sleep(200);
  }
  assert.fail(`readiness never said redis: ${expected} within ${withinMs} ms (last: ${String(last)})`);
}

describe('readiness and a hanging Redis', () => {
  test('connected, then unavailable through a hang (answering within a second), then connected again', async () => {
    await until('connected', 10_000);
    redis.pause();
    try {
      await sleep(1_100); // an answer is reused for up to a second (readiness is public)
      const seen: Array<{ status: number; redis: unknown; ms: number }> = [];
      for (let i = 0; i < 6; i++) {
        seen.push(await readiness());
        await sleep(300);
      }
      for (const answer of seen) {
        assert.equal(answer.status, 200, 'Redis being away does not make the worker unready');
        assert.equal(answer.redis, 'unavailable', JSON.stringify(seen));
        assert.ok(answer.ms < 1_000, `readiness took ${answer.ms} ms`);
      }
    } finally {
      redis.resume();
    }
    await until('connected', 10_000);
  });
});
