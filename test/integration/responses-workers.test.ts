import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/**
 * `previous_response_id` on a translated (`anthropic/`) group with two worker processes: each
 * request on a new connection, so the kernel hands it to either worker. With Redis the second
 * turn finds the first whichever worker it reaches (the store is shared, its keys carry the
 * conversation's hash tag and the configured TTL); without Redis a conversation lives in the
 * memory of the worker that answered, and the other one answers OpenAI's 400.
 */

const UPSTREAM_MODEL = 'claude-workers-up';
/** Fresh connections until both workers have answered; far more than a fair kernel needs. */
const MAX_TRIES = 60;
const TTL_SECONDS = 120;

let upstream: FakeUpstream;
let redis: RedisProcess;

before(async () => {
  upstream = await startFakeUpstream();
  redis = await startRedis();
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
  await redis.stop();
});

function config(extra: object): object {
  return {
    model_list: [{ model_name: 'claude', litellm_params: { model: `anthropic/${UPSTREAM_MODEL}`, api_base: upstream.url, api_key: 'sk-ant-workers-1' } }],
    general_settings: { response_store_ttl: TTL_SECONDS },
    router_settings: { num_retries: 0 },
    ...extra,
  };
}

let requestCount = 0;

/** POST /v1/responses on a connection of its own; answers the status, body and the worker slot that served it. */
async function ask(gateway: GatewayProcess, body: object): Promise<{ status: number; body: Record<string, unknown>; slot: number }> {
  const id = `workers-test-${++requestCount}`;
  const text = JSON.stringify(body);
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(`${gateway.url}/v1/responses`, {
      method: 'POST', agent: false, timeout: 10_000, headers: { 'content-type': 'application/json', 'x-request-id': id, 'content-length': Buffer.byteLength(text) },
    }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(text);
  });
  const line = await gateway.waitForLog((l) => l.msg === 'request' && l.request_id === id, 5_000, `the log line of ${id}`);
  return { status: answer.status, body: JSON.parse(answer.text) as Record<string, unknown>, slot: line.slot as number };
}

/** The first turn, then follow-ups to it on fresh connections until one reaches the other worker. */
async function conversation(gateway: GatewayProcess, word: string) {
  upstream.behave(UPSTREAM_MODEL, (record) => ({ text: `turn with ${(record.body?.messages as unknown[]).length} messages` }));
  const first = await ask(gateway, { model: 'claude', input: `remember the word ${word}` });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const followUps: Array<Awaited<ReturnType<typeof ask>>> = [];
  for (let i = 0; i < MAX_TRIES && !followUps.some((f) => f.slot !== first.slot); i++) {
    followUps.push(await ask(gateway, { model: 'claude', input: 'what was the word?', previous_response_id: first.body.id }));
  }
  const elsewhere = followUps.filter((f) => f.slot !== first.slot);
  assert.ok(elsewhere.length > 0, `a follow-up reached the other worker within ${MAX_TRIES} connections`);
  return { first, followUps, elsewhere, same: followUps.filter((f) => f.slot === first.slot) };
}

describe('two workers sharing Redis', () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({ config: config({ router_settings: { num_retries: 0, redis_url: redis.url } }), args: ['--num_workers', '2'] });
  });

  test('the second turn continues the first on whichever worker it reaches', async () => {
    const since = upstream.requests.length;
    const { first, followUps } = await conversation(gateway, 'aubergine');
    for (const followUp of followUps) {
      assert.equal(followUp.status, 200, JSON.stringify(followUp.body));
      assert.equal(followUp.body.previous_response_id, first.body.id);
    }
    // Each follow-up reached Claude as the whole conversation: the question, the answer, the new question.
    for (const seen of upstream.requests.slice(since + 1)) {
      const messages = seen.body?.messages as Array<{ role: string; content: unknown }>;
      assert.deepEqual(messages, [
        { role: 'user', content: 'remember the word aubergine' },
        { role: 'assistant', content: 'turn with 1 messages' },
        { role: 'user', content: 'what was the word?' },
      ]);
    }
  });

  test('in Redis: one hash tag per conversation, the configured TTL', async () => {
    const { first, followUps } = await conversation(gateway, 'artichoke');
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const tag = (first.body.id as string).slice(5, 17);
      const keys = await client.keys(`switchyard:responses:{${tag}}:*`);
      assert.deepEqual(keys.sort(), [first, ...followUps].map((r) => `switchyard:responses:{${tag}}:${r.body.id as string}`).sort());
      const ttl = await client.pttl(keys[0]!);
      assert.ok(ttl > (TTL_SECONDS - 30) * 1000 && ttl <= TTL_SECONDS * 1000, `TTL ${ttl} ms`);
    } finally {
      client.disconnect();
    }
  });
});

describe('two workers without Redis', () => {
  test('the conversation lives in the worker that answered; the other one answers OpenAI\'s 400', async () => {
    const gateway = await startGateway({ config: config({}), args: ['--num_workers', '2'] });
    const { elsewhere, same } = await conversation(gateway, 'turnip');
    for (const followUp of elsewhere) {
      assert.equal(followUp.status, 400);
      const error = followUp.body.error as { code: string; param: string };
      assert.equal(error.code, 'previous_response_not_found');
      assert.equal(error.param, 'previous_response_id');
    }
    for (const followUp of same) assert.equal(followUp.status, 200);
    await gateway.stop();
  });
});
