import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeUpstream, sleep, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { assertHostBAvoids, coolDownOnHostA } from '../support/shared-cooldown.js';

/**
 * Two gateway processes (two "hosts") sharing one real redis-server: cooldowns taken by one are
 * honoured by the other, usage-based routing counts both hosts' traffic, and a Redis that stalls
 * or goes away delays nothing; coordination resumes when it returns.
 */

const REDIS_COMMAND_TIMEOUT_MS = 500;
/** Enough for a few shared-state rounds (every 200 ms) on a busy machine. */
const SYNC_SETTLE_MS = 1_200;

let redis: RedisProcess;
let upstream: FakeUpstream;
let hostA: GatewayProcess;
let hostB: GatewayProcess;
let clientA: OpenAI;
let clientB: OpenAI;

before(async () => {
  redis = await startRedis();
  upstream = await startFakeUpstream();
  const deployment = (group: string, model: string, extra: Record<string, unknown> = {}) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key', ...extra },
    model_info: { id: model },
  });
  const config = {
    model_list: [
      deployment('shared', 'shared-good'),
      deployment('shared', 'shared-bad'),
      deployment('second', 'second-good'),
      deployment('second', 'second-bad'),
      deployment('metered', 'metered', { rpm: 3 }),
    ],
    router_settings: { routing_strategy: 'usage-based-routing-v2', cooldown_time: 60, redis_url: redis.url },
  };
  [hostA, hostB] = await Promise.all([startGateway({ config }), startGateway({ config })]);
  clientA = new OpenAI({ baseURL: `${hostA.url}/v1`, apiKey: 'anything', maxRetries: 0 });
  clientB = new OpenAI({ baseURL: `${hostB.url}/v1`, apiKey: 'anything', maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
  await redis.stop();
});

const hosts = () => ({ upstream, hostA, hostB, clientA, clientB });

const ask = (client: OpenAI, model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();




/** Usage counts live in wall-clock minutes: start a usage test early in one. */
async function awayFromMinuteEnd(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 52_000) await sleep(60_000 - intoMinute + 100);
}

function lineSince(gateway: GatewayProcess, mark: number, msg: string): Promise<LogLine> {
  return gateway.waitForLog((l) => gateway.logs.indexOf(l) >= mark && l.msg?.startsWith(msg) === true, 10_000, `"${msg}"`);
}

function linesSince(gateway: GatewayProcess, mark: number, msg: string): number {
  return gateway.logs.slice(mark).filter((l) => l.msg?.startsWith(msg)).length;
}

describe('shared through Redis', () => {
  test('a cooldown taken on one host is honoured by the other', async () => {
    await coolDownOnHostA(hosts(), 'shared', 'shared-bad');
    await assertHostBAvoids(hosts(), 'shared', 'shared-bad', 'shared-good', 5_000, 20);
  });

  test('usage-based routing sees both hosts\' traffic against a deployment\'s rpm', async () => {
    await awayFromMinuteEnd();
    await ask(clientA, 'metered');
    await ask(clientA, 'metered');
    await sleep(SYNC_SETTLE_MS);
    const { response } = await ask(clientB, 'metered'); // B's first: the third of the minute
    assert.equal(response.status, 200);
    await sleep(SYNC_SETTLE_MS);
    for (const client of [clientA, clientB]) {
      await assert.rejects(ask(client, 'metered'), (error: unknown) => {
        assert.ok(error instanceof OpenAI.RateLimitError, String(error));
        assert.match(error.message, /rpm\/tpm limits/);
        assert.ok(Number(error.headers?.get('retry-after')) > 0);
        return true;
      });
    }
    assert.equal(upstream.count('metered'), 3);
  });
});

describe('when Redis misbehaves', () => {
  test('a stalled Redis delays no request', async () => {
    redis.pause();
    try {
      await sleep(300); // let shared-state rounds start waiting on it
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        const { response } = await ask(i % 2 === 0 ? clientA : clientB, 'second');
        const ms = performance.now() - started;
        assert.equal(response.status, 200);
        assert.ok(ms < REDIS_COMMAND_TIMEOUT_MS, `request took ${Math.round(ms)} ms`);
      }
    } finally {
      redis.resume();
    }
  });

  test('with Redis gone both hosts keep serving (one log line each); when it returns, cooldowns are shared again', async () => {
    const markA = hostA.logs.length;
    const markB = hostB.logs.length;
    await redis.stop();
    await Promise.all([lineSince(hostA, markA, 'redis unavailable'), lineSince(hostB, markB, 'redis unavailable')]);
    for (let i = 0; i < 10; i++) {
      const { data } = await ask(i % 2 === 0 ? clientA : clientB, 'second');
      assert.equal(data.choices[0]?.message.content, 'fake reply to: hi');
    }
    await sleep(SYNC_SETTLE_MS); // several rounds that find Redis away
    assert.equal(linesSince(hostA, markA, 'redis unavailable'), 1);
    assert.equal(linesSince(hostB, markB, 'redis unavailable'), 1);

    await redis.start();
    await Promise.all([lineSince(hostA, markA, 'redis available again'), lineSince(hostB, markB, 'redis available again')]);
    await coolDownOnHostA(hosts(), 'second', 'second-bad');
    await assertHostBAvoids(hosts(), 'second', 'second-bad', 'second-good', 5_000, 20);
  });
});
