import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cacheKey, ChatStreamAssembly, chatCompletionChunks, lookUp, MemoryCache, messageEvents, MessageStreamAssembly, NOT_CACHED, TextCompletionAssembly, textCompletionChunks,
} from '../../src/cache/index.js';
import { loadConfigText, type CacheSettings } from '../../src/config/index.js';
import { takeGatewayFields } from '../../src/protocol/index.js';

function load(text: string): { config: { cache: CacheSettings | undefined }; warnings: readonly string[] } {
  const result = loadConfigText(text, null, { env: {} });
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems));
  return result.value;
}

/** The response cache's parts: the key, the memory cache's bounds, stream assembly and replay, the config. */

test('the key covers what decides the answer, in any key order, and nothing else', () => {
  const base = { messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, max_tokens: 5 };
  const key = cacheKey('completion', 'gpt', base);
  assert.equal(cacheKey('completion', 'gpt', { max_tokens: 5, temperature: 0.2, messages: [{ content: 'hi', role: 'user' }] }), key);
  assert.equal(cacheKey('completion', 'gpt', { ...base, user: 'u', metadata: { a: 'b' }, stream: true, stream_options: { include_usage: true } }), key);
  for (const change of [{ temperature: 0.3 }, { seed: 1 }, { n: 2 }, { stop: ['x'] }, { tools: [] }, { response_format: { type: 'json_object' } }, { max_tokens: 6 }]) {
    assert.notEqual(cacheKey('completion', 'gpt', { ...base, ...change }), key, JSON.stringify(change));
  }
  assert.notEqual(cacheKey('completion', 'gpt-2', base), key);
  assert.notEqual(cacheKey('embedding', 'gpt', base), key);
});

test('memory cache: LRU under a byte cap, entries over the limit not kept, ttl and s-maxage', async () => {
  let now = 1_000;
  const cache = new MemoryCache(1_500, 900, () => now);
  assert.ok(await cache.put('a', { text: 'a'.repeat(300) }, 10_000) > 0);
  assert.ok(await cache.put('b', { text: 'b'.repeat(300) }, 10_000) > 0);
  assert.equal(await cache.put('big', { text: 'x'.repeat(500) }, 10_000), 0, 'over the entry limit');
  await cache.get('a'); // a is now the most recently used
  assert.ok(await cache.put('c', { text: 'c'.repeat(300) }, 10_000) > 0);
  assert.equal(await cache.get('b'), undefined, 'the least recently used went first');
  assert.ok((await cache.get('a')) !== undefined);
  assert.ok(cache.size.bytes <= 1_500);
  now += 5_000;
  assert.equal(await cache.get('a', 4_000), undefined, 'older than s-maxage');
  assert.ok((await cache.get('a', 6_000)) !== undefined);
  now += 6_000;
  assert.equal(await cache.get('a'), undefined, 'expired');
});

test('a stream assembles to its completion only when every choice ended; replay gives it back', () => {
  const chunk = (delta: object, finish: string | null = null) => ({ data: JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 5, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] }) });
  const assembly = new ChatStreamAssembly();
  assembly.add(chunk({ role: 'assistant', content: 'Hel' }));
  assembly.add(chunk({ content: 'lo' }));
  assert.equal(assembly.result(), undefined, 'no finish reason yet: partial');
  assembly.add(chunk({ tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] }));
  assembly.add(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }));
  assembly.add(chunk({}, 'tool_calls'));
  const body = assembly.result() as { choices: Array<{ message: { content: string; tool_calls: unknown[] }; finish_reason: string }> };
  assert.equal(body.choices[0]!.message.content, 'Hello');
  assert.deepEqual(body.choices[0]!.message.tool_calls, [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }]);
  const replayed = new ChatStreamAssembly();
  for (const event of chatCompletionChunks(body as unknown as Record<string, unknown>, false)) replayed.add(event);
  assert.deepEqual(replayed.result(), body);
});

test('a text completion stream assembles only when whole and without logprobs; replay gives it back', () => {
  const chunk = (text: string, finish: string | null = null, logprobs: unknown = null) => ({ data: JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 7, model: 'm', choices: [{ text, index: 0, logprobs, finish_reason: finish }] }) });
  const assembly = new TextCompletionAssembly();
  assembly.add(chunk('Once '));
  assembly.add(chunk('upon'));
  assert.equal(assembly.result(), undefined, 'no finish reason yet: partial');
  assembly.add(chunk('', 'length'));
  assembly.add({ data: JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 7, model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }) });
  assembly.add({ data: '[DONE]' });
  const body = assembly.result() as { choices: Array<{ text: string; finish_reason: string }>; usage: unknown };
  assert.deepEqual(body.choices, [{ text: 'Once upon', index: 0, logprobs: null, finish_reason: 'length' }]);
  assert.deepEqual(body.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  const replayed = new TextCompletionAssembly();
  for (const event of textCompletionChunks(body as unknown as Record<string, unknown>, true)) replayed.add(event);
  assert.deepEqual(replayed.result(), body);
  assert.ok(textCompletionChunks(body as unknown as Record<string, unknown>, false).every((e) => !e.data.includes('"usage"')), 'usage only when asked');
  const withLogprobs = new TextCompletionAssembly();
  withLogprobs.add(chunk('x', 'stop', { tokens: ['x'], token_logprobs: [-0.1] }));
  assert.equal(withLogprobs.result(), undefined, 'logprobs are not kept, so such a stream is not stored');
});

test('an entry keeps what its call cost (null: unpriced); entries without it read as before', async () => {
  const cache = new MemoryCache(10_000, 10_000);
  await cache.put('priced', { a: 1 }, 10_000, 0.00125);
  await cache.put('unpriced', { a: 2 }, 10_000, null);
  await cache.put('unknown', { a: 3 }, 10_000);
  assert.equal((await cache.get('priced'))?.costUsd, 0.00125);
  assert.equal((await cache.get('unpriced'))?.costUsd, null);
  const unknown = await cache.get('unknown');
  assert.deepEqual(unknown?.body, { a: 3 });
  assert.equal('costUsd' in (unknown ?? {}), false);
});

test('lookUp answers at once (no promise) when the request is not cacheable; a promise only when it is', async () => {
  const settings = (over: Partial<CacheSettings> = {}): CacheSettings => ({ ...load('model_list: []\nlitellm_settings:\n  cache: true\n  cache_params: {type: local}\n').config.cache!, ...over });
  const on = { cache: new MemoryCache(10_000, 10_000), settings: settings() };
  const body = { messages: [{ role: 'user', content: 'hi' }] };
  assert.equal(lookUp(undefined, 'completion', 'gpt', body, undefined), NOT_CACHED, 'caching off');
  assert.equal(lookUp({ ...on, settings: settings({ callTypes: new Set(['aembedding']) }) }, 'completion', 'gpt', body, undefined), NOT_CACHED, 'call type not cached');
  const defaultOff = { ...on, settings: settings({ defaultOff: true }) };
  assert.equal(lookUp(defaultOff, 'completion', 'gpt', body, undefined), NOT_CACHED, 'default_off without opt-in');
  const optedIn = lookUp(defaultOff, 'completion', 'gpt', body, { useCache: true, noCache: false, noStore: false });
  assert.ok(optedIn instanceof Promise);
  assert.equal((await optedIn).verdict, 'miss');
  const cacheable = lookUp(on, 'text_completion', 'gpt', { prompt: 'x' }, undefined);
  assert.ok(cacheable instanceof Promise);
  assert.match((await cacheable).key ?? '', /^text_completion:[0-9a-f]{64}$/);
});

test('config: cache true with redis or local; unknown types warn and cache nothing; mode default_off', () => {
  const models = 'model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, api_key: k}\n';
  const local = load(`${models}litellm_settings:\n  cache: true\n  cache_params: {type: local, ttl: 30, supported_call_types: [acompletion], mode: default_off}\n`);
  assert.equal(local.config.cache?.type, 'local');
  assert.equal(local.config.cache?.ttlMs, 30_000);
  assert.equal(local.config.cache?.defaultOff, true);
  assert.deepEqual([...(local.config.cache?.callTypes ?? [])], ['acompletion']);
  const s3 = load(`${models}litellm_settings:\n  cache: true\n  cache_params: {type: s3, s3_bucket_name: b}\n`);
  assert.equal(s3.config.cache, undefined);
  assert.ok(s3.warnings.some((w) => /cache_params\.type s3 is not implemented/.test(w)), s3.warnings.join('\n'));
  assert.equal(load(models).config.cache, undefined);
  const responses = load(`${models}litellm_settings:\n  cache: true\n  cache_params: {type: local, supported_call_types: [acompletion, aresponses, atext_completion]}\n`);
  assert.ok(responses.warnings.some((w) => /supported_call_types: aresponses are not cached/.test(w)), responses.warnings.join('\n'));
  assert.ok(!local.warnings.some((w) => /supported_call_types/.test(w)), 'no warning for call types that are cached');
});

test('an Anthropic message replays as events that assemble back to it (text, thinking, tool use)', () => {
  const message = {
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude',
    content: [
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'text', text: 'Hello' },
      { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
    ],
    stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 7 },
  };
  const assembly = new MessageStreamAssembly();
  const events = messageEvents(message);
  for (const event of events.slice(0, -1)) assembly.add(event);
  assert.equal(assembly.result(), undefined, 'no message_stop: partial');
  assembly.add(events.at(-1)!);
  assert.deepEqual(assembly.result(), message);
});

test('per-request controls are read from the body and taken out; a wrong type names the field', () => {
  const taken = takeGatewayFields({ model: 'm', cache: { 'no-cache': true, ttl: 5, 's-maxage': 2, namespace: 'ns' } }, 'openai');
  assert.ok(taken.ok);
  assert.deepEqual(taken.value.options.cache, { useCache: false, noCache: true, noStore: false, ttlSeconds: 5, maxAgeSeconds: 2, namespace: 'ns' });
  assert.equal('cache' in taken.value.body, false, 'never sent upstream');
  const bad = takeGatewayFields({ model: 'm', cache: { ttl: 'soon' } }, 'openai');
  assert.ok(!bad.ok);
  assert.equal(bad.problem.param, 'cache.ttl');
});
