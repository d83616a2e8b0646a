import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { Agent, fetch as undiciFetch } from 'undici';
import { startFakeUpstream, sleep, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/**
 * `litellm_settings.cache: true` on Redis with two worker processes. Every call opens a connection
 * of its own, so the kernel hands it to either worker: an answer stored by one is served by the
 * other, and the upstream sees one call. The official SDK is the caller (streams parsed by it).
 */

const UPSTREAM_MODEL = 'gpt-cache-up';
const MAX_TRIES = 40;

let upstream: FakeUpstream;
let redis: RedisProcess;
let gateway: GatewayProcess;
let client: OpenAI;
const agents: Agent[] = [];
let seq = 0;

before(async () => {
  upstream = await startFakeUpstream();
  redis = await startRedis();
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'gpt', litellm_params: { model: `openai/${UPSTREAM_MODEL}`, api_base: `${upstream.url}/v1`, api_key: 'sk-cache-upstream' } },
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-cache-up', api_base: upstream.url, api_key: 'sk-ant-cache' } },
      ],
      router_settings: { num_retries: 0 },
      litellm_settings: { cache: true, cache_params: { type: 'redis', url: redis.url, ttl: 600 } },
    },
    args: ['--num_workers', '2'],
  });
  // A new connection per call (a fresh undici agent), so that either worker may take it.
  const fetchFresh = (url: string, init: object): Promise<unknown> => {
    const agent = new Agent({ pipelining: 0 });
    agents.push(agent);
    return undiciFetch(url, { ...init, dispatcher: agent });
  };
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0, fetch: fetchFresh as unknown as typeof fetch });
});

after(async () => {
  await stopAllGateways();
  await Promise.all(agents.map((a) => a.close()));
  await upstream.close();
  await redis.stop();
});

/** Upstream calls whose messages carry `word`. */
function upstreamCalls(word: string): number {
  return upstream.requests.filter((r) => JSON.stringify(r.body?.messages ?? '').includes(word)).length;
}

interface Served {
  text: string;
  finish: string | null;
  key: string | null;
  cache: unknown;
  slot: unknown;
}

async function logOf(requestId: string): Promise<{ cache: unknown; slot: unknown }> {
  const line = await gateway.waitForLog((l) => l.msg === 'request' && l.request_id === requestId, 5_000, `log line of ${requestId}`);
  return { cache: line.cache, slot: line.slot };
}

async function ask(word: string, extra: Record<string, unknown> = {}): Promise<Served> {
  const id = `cache-${++seq}`;
  const { data, response } = await client.chat.completions.create({
    model: 'gpt', messages: [{ role: 'user', content: `tell me about ${word}` }], ...extra,
  } as OpenAI.ChatCompletionCreateParamsNonStreaming, { headers: { 'x-request-id': id } }).withResponse();
  const log = await logOf(id);
  return { text: data.choices[0]?.message.content ?? '', finish: data.choices[0]?.finish_reason ?? null, key: response.headers.get('x-litellm-cache-key'), ...log };
}

async function askStream(word: string, extra: Record<string, unknown> = {}): Promise<Served & { chunks: number; usage: unknown }> {
  const id = `cache-${++seq}`;
  const { data: stream, response } = await client.chat.completions.create({
    model: 'gpt', messages: [{ role: 'user', content: `tell me about ${word}` }], stream: true, ...extra,
  } as OpenAI.ChatCompletionCreateParamsStreaming, { headers: { 'x-request-id': id } }).withResponse();
  let text = '';
  let finish: string | null = null;
  let chunks = 0;
  let usage: unknown;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  const log = await logOf(id);
  return { text, finish, key: response.headers.get('x-litellm-cache-key'), chunks, usage, ...log };
}

describe('response cache on Redis, two workers', () => {
  test('an identical second call is served from the cache by either worker; the upstream sees one call', async () => {
    const first = await ask('lighthouses');
    assert.equal(first.cache, 'miss');
    assert.match(first.key ?? '', /^completion:[0-9a-f]{64}$/);
    const hits: Served[] = [];
    for (let i = 0; i < MAX_TRIES && new Set(hits.map((h) => h.slot)).size < 2; i++) hits.push(await ask('lighthouses', { user: `u${i}`, metadata: { run: `${i}` } }));
    assert.equal(new Set(hits.map((h) => h.slot)).size, 2, 'hits were served by both workers');
    for (const hit of hits) {
      assert.equal(hit.cache, 'hit');
      assert.equal(hit.text, first.text);
      assert.equal(hit.key, first.key, 'user and metadata are not part of the key');
    }
    assert.equal(upstreamCalls('lighthouses'), 1);
    // Anything that decides the answer is part of the key.
    const warmer = await ask('lighthouses', { temperature: 0.3 });
    assert.equal(warmer.cache, 'miss');
    assert.notEqual(warmer.key, first.key);
    assert.equal(upstreamCalls('lighthouses'), 2);
  });

  test('a stream is stored once it ends whole, and served as JSON and as a stream', async () => {
    const streamed = await askStream('glaciers', { stream_options: { include_usage: true } });
    assert.equal(streamed.cache, 'miss');
    assert.ok(streamed.text.length > 0);
    const json = await ask('glaciers');
    assert.equal(json.cache, 'hit');
    assert.equal(json.text, streamed.text);
    assert.equal(json.finish, 'stop');
    const again = await askStream('glaciers', { stream_options: { include_usage: true } });
    assert.equal(again.cache, 'hit');
    assert.equal(again.text, streamed.text);
    assert.equal(again.finish, 'stop');
    assert.ok(again.usage !== undefined, 'the usage chunk, as asked');
    assert.equal(upstreamCalls('glaciers'), 1);
  });

  test('a JSON answer is served to a streaming call as a well-formed stream', async () => {
    const json = await ask('volcanoes');
    const streamed = await askStream('volcanoes');
    assert.equal(streamed.cache, 'hit');
    assert.equal(streamed.text, json.text);
    assert.equal(streamed.finish, 'stop');
    assert.equal(upstreamCalls('volcanoes'), 1);
  });

  test('per-request controls: no-cache, no-store, ttl, s-maxage', async () => {
    await ask('rivers');
    const fresh = await ask('rivers', { cache: { 'no-cache': true } });
    assert.equal(fresh.cache, 'skip');
    assert.equal(upstreamCalls('rivers'), 2, 'no-cache reads nothing');

    const unsaved = await ask('deserts', { cache: { 'no-store': true } });
    assert.equal(unsaved.cache, 'miss');
    assert.equal((await ask('deserts')).cache, 'miss', 'no-store kept nothing');
    assert.equal(upstreamCalls('deserts'), 2);

    await ask('canyons', { cache: { ttl: 1 } });
    assert.equal((await ask('canyons')).cache, 'hit');
    await sleep(1_100);
    assert.equal((await ask('canyons')).cache, 'miss', 'the entry expired after its ttl');
    assert.equal(upstreamCalls('canyons'), 2);

    await ask('forests');
    await sleep(1_100);
    assert.equal((await ask('forests', { cache: { 's-maxage': 1 } })).cache, 'miss', 'older than s-maxage: not accepted');
    assert.equal((await ask('forests', { cache: { 's-maxage': 60 } })).cache, 'hit');
    assert.equal(upstreamCalls('forests'), 2);

    await ask('meadows');
    const apart = await ask('meadows', { cache: { namespace: 'team-b' } });
    assert.equal(apart.cache, 'miss', 'another namespace: another entry');
    assert.equal((await ask('meadows', { cache: { namespace: 'team-b' } })).cache, 'hit');
    assert.equal(upstreamCalls('meadows'), 2);
  });

  test('text completions (/v1/completions): stored JSON or streamed, served back both ways', async () => {
    const prompts = (word: string) => upstream.requests.filter((r) => JSON.stringify(r.body?.prompt ?? '').includes(word)).length;
    const complete = async (word: string, stream: boolean, includeUsage = false): Promise<{ text: string; finish: string | null; key: string | null; cache: unknown; usage: unknown }> => {
      const id = `cache-${++seq}`;
      const params = { model: 'gpt', prompt: `once upon a ${word}`, max_tokens: 16 };
      if (!stream) {
        const { data, response } = await client.completions.create(params, { headers: { 'x-request-id': id } }).withResponse();
        return { text: data.choices[0]?.text ?? '', finish: data.choices[0]?.finish_reason ?? null, key: response.headers.get('x-litellm-cache-key'), cache: (await logOf(id)).cache, usage: data.usage };
      }
      const { data: events, response } = await client.completions.create({ ...params, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) }, { headers: { 'x-request-id': id } }).withResponse();
      let text = '';
      let finish: string | null = null;
      let usage: unknown;
      for await (const chunk of events) {
        text += chunk.choices[0]?.text ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, finish, key: response.headers.get('x-litellm-cache-key'), cache: (await logOf(id)).cache, usage };
    };
    const json = await complete('lantern', false);
    assert.equal(json.cache, 'miss');
    assert.match(json.key ?? '', /^text_completion:[0-9a-f]{64}$/);
    const streamedHit = await complete('lantern', true, true);
    assert.equal(streamedHit.cache, 'hit');
    assert.equal(streamedHit.text, json.text);
    assert.equal(streamedHit.finish, json.finish);
    assert.deepEqual(streamedHit.usage, json.usage, 'the usage chunk, as asked');
    assert.equal(prompts('lantern'), 1);

    const streamed = await complete('compass', true);
    assert.equal(streamed.cache, 'miss');
    assert.ok(streamed.text.length > 0);
    const jsonHit = await complete('compass', false);
    assert.equal(jsonHit.cache, 'hit');
    assert.equal(jsonHit.text, streamed.text);
    assert.equal(jsonHit.finish, 'stop');
    const hiddenUsage = await complete('compass', true);
    assert.equal(hiddenUsage.cache, 'hit');
    assert.equal(hiddenUsage.usage, undefined, 'no usage chunk when not asked');
    assert.equal(prompts('compass'), 1);
  });

  test('the Cache-Control request header: s-maxage=N is the answer\'s ttl, as LiteLLM reads it; cache.ttl wins; no-cache is not read', async () => {
    const reader = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      const withHeader = async (word: string, header: string, extra: Record<string, unknown> = {}): Promise<Served> => {
        const id = `cache-${++seq}`;
        const { data, response } = await client.chat.completions.create({
          model: 'gpt', messages: [{ role: 'user', content: `tell me about ${word}` }], ...extra,
        } as OpenAI.ChatCompletionCreateParamsNonStreaming, { headers: { 'x-request-id': id, 'cache-control': header } }).withResponse();
        return { text: data.choices[0]?.message.content ?? '', finish: null, key: response.headers.get('x-litellm-cache-key'), ...(await logOf(id)) };
      };
      const short = await withHeader('islands', 's-maxage=2');
      const ttl = await reader.pttl(`switchyard:cache:${short.key}`);
      assert.ok(ttl > 0 && ttl <= 2_000, `stored for the header's 2 s: ${ttl} ms`);
      assert.equal((await ask('islands')).cache, 'hit');
      await sleep(2_100);
      assert.equal((await ask('islands')).cache, 'miss', 'expired after the header\'s s-maxage');

      const bodyWins = await withHeader('reefs', 'public, s-maxage=2', { cache: { ttl: 30 } });
      const bodyTtl = await reader.pttl(`switchyard:cache:${bodyWins.key}`);
      assert.ok(bodyTtl > 2_000 && bodyTtl <= 30_000, `the body's cache.ttl wins: ${bodyTtl} ms`);

      const plain = await withHeader('lagoons', 'no-cache');
      const plainTtl = await reader.pttl(`switchyard:cache:${plain.key}`);
      assert.ok(plainTtl > 590_000, `no s-maxage: the configured ttl (${plainTtl} ms)`);
      const again = await withHeader('lagoons', 'no-cache, no-store');
      assert.equal(again.cache, 'hit', 'a client\'s Cache-Control: no-cache does not turn the cache off (LiteLLM reads only s-maxage)');
      assert.equal((await withHeader('lagoons', 's-maxage=soon')).cache, 'hit', 'a value that is not seconds is ignored');
      assert.equal(upstreamCalls('islands') + upstreamCalls('reefs') + upstreamCalls('lagoons'), 4);
    } finally {
      reader.disconnect();
    }
  });

  test('/v1/responses is not cached: every call reaches the upstream, no cache key (docs/caching.md says why)', async () => {
    const ask = async () => {
      const response = await undiciFetch(`${gateway.url}/v1/responses`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude', input: 'tell me about tundras', max_output_tokens: 32, store: false }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      await response.json();
      return response.headers.get('x-litellm-cache-key');
    };
    assert.equal(await ask(), null);
    assert.equal(await ask(), null);
    assert.equal(upstreamCalls('tundras'), 2);
  });

  test('errors, content-filtered answers and partial streams are never cached', async () => {
    upstream.behave((r) => JSON.stringify(r.body?.messages ?? '').includes('storms'), { status: 500, errorMessage: 'boom' });
    await assert.rejects(ask('storms'));
    upstream.behave((r) => JSON.stringify(r.body?.messages ?? '').includes('storms'), {});
    assert.equal((await ask('storms')).cache, 'miss');
    assert.equal(upstreamCalls('storms'), 2);

    upstream.behave((r) => JSON.stringify(r.body?.messages ?? '').includes('filtered'), {
      answerBody: {
        id: 'chatcmpl-f', object: 'chat.completion', created: 1, model: UPSTREAM_MODEL,
        choices: [{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'content_filter' }],
      },
    });
    assert.equal((await ask('filtered')).finish, 'content_filter');
    assert.equal((await ask('filtered')).cache, 'miss');
    assert.equal(upstreamCalls('filtered'), 2);

    upstream.behave((r) => JSON.stringify(r.body?.messages ?? '').includes('tides'), { truncateAfterChunks: 2 });
    await askStream('tides').catch(() => undefined);
    upstream.behave((r) => JSON.stringify(r.body?.messages ?? '').includes('tides'), {});
    assert.equal((await ask('tides')).cache, 'miss');
    assert.equal(upstreamCalls('tides'), 2);
  });

  test('the Anthropic API: a streamed message is served back as JSON and as Anthropic events', async () => {
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 });
    const params = { model: 'claude', max_tokens: 64, messages: [{ role: 'user' as const, content: 'tell me about comets' }] };
    const first = await anthropic.messages.stream(params).finalMessage();
    const json = await anthropic.messages.create(params);
    const again = await anthropic.messages.stream(params).finalMessage();
    const text = (m: Anthropic.Message) => m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    assert.ok(text(first).length > 0);
    assert.equal(text(json), text(first));
    assert.equal(text(again), text(first));
    assert.equal(json.stop_reason, 'end_turn');
    assert.equal(again.stop_reason, 'end_turn');
    assert.equal(upstreamCalls('comets'), 1);
  });

  test('in Redis: a small answer as JSON, a large one gzipped, each with the ttl as its expiry', async () => {
    const reader = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      const small = await ask('pebbles');
      upstream.behave((r) => JSON.stringify(r.body?.messages ?? '').includes('mountains'), { text: 'granite '.repeat(400) });
      const large = await ask('mountains');
      const smallValue = await reader.get(`switchyard:cache:${small.key}`);
      const largeValue = (await reader.get(`switchyard:cache:${large.key}`)) ?? '';
      assert.ok(smallValue?.startsWith('j{'), String(smallValue));
      assert.ok(largeValue?.startsWith('z'), 'gzipped');
      assert.ok(largeValue.length < 'granite '.repeat(400).length / 4, `compressed to ${largeValue.length}`);
      const ttl = await reader.pttl(`switchyard:cache:${large.key}`);
      assert.ok(ttl > 590_000 && ttl <= 600_000, String(ttl));
      const hit = await ask('mountains');
      assert.equal(hit.cache, 'hit');
      assert.equal(hit.text, large.text);
    } finally {
      reader.disconnect();
    }
  });

  test('metrics: hits, misses, stores and bytes by model group and cache type', async () => {
    const series = (text: string, name: string, labels: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    let text = '';
    for (let i = 0; i < 30; i++) {
      text = await (await undiciFetch(`${gateway.url}/metrics`)).text();
      if (series(text, 'switchyard_cache_requests_total', 'result="skip"') > 0) break;
      await sleep(200);
    }
    assert.ok(series(text, 'switchyard_cache_requests_total', 'model_group="gpt",cache_type="redis",result="hit"') >= 5, text);
    assert.ok(series(text, 'switchyard_cache_requests_total', 'model_group="gpt",cache_type="redis",result="miss"') >= 5);
    assert.ok(series(text, 'switchyard_cache_requests_total', 'model_group="gpt",cache_type="redis",result="skip"') >= 1);
    assert.ok(series(text, 'switchyard_cache_stores_total', 'model_group="gpt",cache_type="redis"') >= 5);
    assert.ok(series(text, 'switchyard_cache_stored_bytes_total', 'model_group="gpt",cache_type="redis"') > 500);
  });

  test('Redis killed mid-load: every call answered (misses), none failed', async () => {
    const calls: Array<Promise<Served>> = [];
    for (let i = 0; i < 40; i++) {
      calls.push(ask(`load ${i % 5}`));
      if (i === 15) void redis.stop();
      await sleep(10);
    }
    const results = await Promise.allSettled(calls);
    assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
    const after = await ask('after redis');
    assert.ok(['miss'].includes(after.cache as string));
  });
});
