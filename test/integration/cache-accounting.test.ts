import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/**
 * What the response cache saves, and how it is accounted: a hit costs nothing (spend 0, no spend
 * metric), adds the cost of the call that made its answer to `switchyard_cache_saved_usd_total`
 * (exact across worker recycles, like every counter), and its spend row says `cache_hit: True`
 * with that cost in `metadata.saved_cache_cost`, as LiteLLM's rows do. And `mode: default_off`:
 * only requests that opt in (`cache: {"use-cache": true}`) take part.
 */

let upstream: FakeUpstream;
let redis: RedisProcess;
let db: TestDatabase;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('gpt-4o', { text: 'a priced answer', usage: { prompt_tokens: 40, completion_tokens: 12 } });
  upstream.behave('claude-sonnet-4-5', { text: 'a priced message', usage: { prompt_tokens: 30, completion_tokens: 9 }, cacheTokens: { read: 100, creation: 20 } });
  redis = await startRedis();
  db = await createTestDatabase();
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
  await redis.stop();
  await db.drop();
});

const deployment = (name: string) => ({ model_name: name, litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream.url}/v1`, api_key: 'sk-accounting-upstream' } });

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function logOf(gateway: GatewayProcess, id: string): Promise<LogLine> {
  return gateway.waitForLog((l) => l.msg === 'request' && l.request_id === id, 10_000, `log line of ${id}`);
}

describe('cost saved by hits, on Redis, two workers recycling', () => {
  let gateway: GatewayProcess;
  let client: OpenAI;
  const ask = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'what does a hit save?' }] };

  before(async () => {
    gateway = await startGateway({
      config: {
        model_list: [
          deployment('gpt-4o'),
          { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: upstream.url, api_key: 'sk-accounting-anthropic' } },
        ],
        litellm_settings: { cache: true, cache_params: { type: 'redis', url: redis.url } },
      },
      args: ['--num_workers', '2', '--max_requests_before_restart', '6', '--max_requests_before_restart_jitter', '0', '--keepalive_timeout', '1'],
      env: { DATABASE_URL: db.url },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  test('each hit adds its answer\'s first cost to the saved counter, exactly, whatever the recycles; a hit costs 0', async () => {
    const { response: first } = await client.chat.completions.create(ask, { headers: { 'x-request-id': 'acct-first' } }).withResponse();
    const cost = Number(first.headers.get('x-litellm-response-cost'));
    assert.ok(cost > 0, 'the first call is priced');
    const firstLine = await logOf(gateway, 'acct-first');
    assert.equal(firstLine.cache, 'miss');
    assert.equal(firstLine.saved_usd, undefined);

    const HITS = 30;
    const RECYCLES = 3;
    const recycles = () => gateway.logs.filter((l) => l.msg === 'drain finished').length;
    const started = Date.now();
    for (let i = 0; i < HITS; i++) {
      // Spread the hits over the recycles, however long a worker takes to boot here.
      while (recycles() < Math.floor((i * RECYCLES) / HITS) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 25));
      const { response } = await client.chat.completions.create(ask, { headers: { 'x-request-id': `acct-hit-${i}` } }).withResponse();
      assert.equal(response.headers.get('x-litellm-cache-key'), first.headers.get('x-litellm-cache-key'));
      assert.equal(response.headers.get('x-litellm-response-cost'), null, 'a hit has no cost of its own');
    }
    const line = await logOf(gateway, `acct-hit-${HITS - 1}`);
    assert.equal(line.cache, 'hit');
    assert.equal(line.saved_usd, cost);
    assert.equal(line.cost_usd, undefined, 'a hit is not priced: nothing was called');
    assert.equal(upstream.count('gpt-4o'), 1);

    let text = '';
    const deadline = Date.now() + 10_000;
    do {
      text = await (await fetch(`${gateway.url}/metrics`)).text();
      if (metricValue(text, 'switchyard_cache_requests_total', 'result="hit"') >= HITS) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } while (Date.now() < deadline);
    assert.ok(recycles() >= RECYCLES - 1, `the workers recycled along the way (${recycles()})`);
    assert.equal(metricValue(text, 'switchyard_cache_requests_total', 'model_group="gpt-4o",cache_type="redis",result="hit"'), HITS);
    const saved = metricValue(text, 'switchyard_cache_saved_usd_total', 'model_group="gpt-4o",cache_type="redis"');
    assert.ok(Math.abs(saved - HITS * cost) <= HITS * cost * 1e-9, `saved ${saved} = ${HITS} × ${cost}`);
    const spent = metricValue(text, 'switchyard_spend_usd_total', 'model_group="gpt-4o"');
    assert.ok(Math.abs(spent - cost) <= cost * 1e-9, `spend ${spent} is the one call made`);
  });

  test('a hit\'s spend row: cache_hit True, spend 0, the saved cost in metadata; the miss\'s row: False and its cost', async () => {
    const deadline = Date.now() + 15_000;
    let rows: Array<Record<string, unknown>> = [];
    while (Date.now() < deadline) {
      rows = await db.sql<Array<Record<string, unknown>>>`SELECT * FROM "LiteLLM_SpendLogs" WHERE request_id LIKE 'acct-%'`.catch(() => []);
      if (rows.length >= 31) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(rows.length, 31);
    const first = rows.find((r) => String(r.request_id).startsWith('acct-first'))!;
    assert.equal(first.cache_hit, 'False');
    assert.ok(Number(first.spend) > 0);
    assert.match(String(first.cache_key), /^completion:[0-9a-f]{64}$/);
    const hits = rows.filter((r) => String(r.request_id).startsWith('acct-hit-'));
    assert.equal(hits.length, 30);
    for (const hit of hits) {
      assert.equal(hit.cache_hit, 'True');
      assert.equal(Number(hit.spend), 0);
      assert.equal(hit.cache_key, first.cache_key);
      assert.equal(hit.model_group, 'gpt-4o');
      assert.equal((hit.metadata as { saved_cache_cost?: number }).saved_cache_cost, Number(first.spend));
    }
    // GET /spend/logs returns the two columns as well.
    const listed = await (await fetch(`${gateway.url}/spend/logs?model=gpt-4o&limit=100`)).json() as Array<{ cache_hit: string }>;
    assert.equal(listed.filter((r) => r.cache_hit === 'True').length, 30);
  });

  test('a streamed answer is stored with its cost; no-cache is logged as skip and priced as a call', async () => {
    const streamAsk = { ...ask, messages: [{ role: 'user' as const, content: 'a streamed priced answer' }] };
    const stream = await client.chat.completions.create({ ...streamAsk, stream: true }, { headers: { 'x-request-id': 'stream-first' } });
    for await (const _chunk of stream) { /* to its end */ }
    const streamed = await logOf(gateway, 'stream-first');
    assert.equal(streamed.cache, 'miss');
    assert.ok(typeof streamed.cost_usd === 'number' && streamed.cost_usd > 0);
    await client.chat.completions.create(streamAsk, { headers: { 'x-request-id': 'stream-hit' } });
    assert.equal((await logOf(gateway, 'stream-hit')).saved_usd, streamed.cost_usd);

    await client.chat.completions.create({ ...streamAsk, cache: { 'no-cache': true } } as OpenAI.ChatCompletionCreateParamsNonStreaming, { headers: { 'x-request-id': 'stream-skip' } });
    const skipped = await logOf(gateway, 'stream-skip');
    assert.equal(skipped.cache, 'skip');
    assert.equal(skipped.cost_usd, streamed.cost_usd);
    assert.equal(skipped.saved_usd, undefined);
  });

  test('the Anthropic API: a streamed message\'s cost (cache reads and writes at their rates) is what its hit saves', async () => {
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 });
    const params = { model: 'claude', max_tokens: 64, messages: [{ role: 'user' as const, content: 'what does a message hit save?' }] };
    await anthropic.messages.stream(params, { headers: { 'x-request-id': 'msg-first' } }).finalMessage();
    const first = await logOf(gateway, 'msg-first');
    assert.equal(first.cache, 'miss');
    assert.ok(typeof first.cost_usd === 'number' && first.cost_usd > 0, JSON.stringify(first));
    const hit = await anthropic.messages.create(params, { headers: { 'x-request-id': 'msg-hit' } });
    assert.equal(hit.content[0]?.type === 'text' ? hit.content[0].text : '', 'a priced message');
    const line = await logOf(gateway, 'msg-hit');
    assert.equal(line.cache, 'hit');
    assert.equal(line.saved_usd, first.cost_usd);
  });
});

describe('mode: default_off, in memory', () => {
  let gateway: GatewayProcess;
  let client: OpenAI;

  before(async () => {
    gateway = await startGateway({
      config: {
        model_list: [deployment('opt-in')],
        litellm_settings: { cache: true, cache_params: { type: 'local', mode: 'default_off' } },
      },
      args: ['--num_workers', '1'],
    });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  const upstreamCalls = (word: string) => upstream.requests.filter((r) => JSON.stringify(r.body?.messages ?? '').includes(word)).length;

  async function ask(word: string, id: string, extra: object = {}): Promise<{ key: string | null; line: LogLine }> {
    const { response } = await client.chat.completions.create({
      model: 'opt-in', messages: [{ role: 'user', content: `opt in: ${word}` }], ...extra,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming, { headers: { 'x-request-id': id } }).withResponse();
    return { key: response.headers.get('x-litellm-cache-key'), line: await logOf(gateway, id) };
  }

  test('a request that does not opt in is neither read nor stored; one with cache: {"use-cache": true} is', async () => {
    const plain = await ask('harbours', 'off-1');
    assert.equal(plain.key, null, 'not cacheable: no key');
    assert.equal(plain.line.cache, undefined, 'the cache stayed out: no verdict in the log line');
    await ask('harbours', 'off-2');
    assert.equal(upstreamCalls('harbours'), 2, 'nothing stored, nothing read');

    const optedIn = await ask('harbours', 'on-1', { cache: { 'use-cache': true } });
    assert.equal(optedIn.line.cache, 'miss', 'the first opt-in finds nothing: the plain calls stored nothing');
    assert.match(optedIn.key ?? '', /^completion:/);
    const again = await ask('harbours', 'on-2', { cache: { 'use-cache': true } });
    assert.equal(again.line.cache, 'hit');
    assert.equal(again.key, optedIn.key);
    assert.equal(upstreamCalls('harbours'), 3);

    const plainAfter = await ask('harbours', 'off-3');
    assert.equal(plainAfter.line.cache, undefined, 'an entry exists, but a request that does not opt in does not read it');
    assert.equal(upstreamCalls('harbours'), 4);

    const optedOut = await ask('harbours', 'on-3', { cache: { 'use-cache': false } });
    assert.equal(optedOut.line.cache, undefined, '"use-cache": false is not an opt-in');
    assert.equal(upstreamCalls('harbours'), 5);
  });
});
