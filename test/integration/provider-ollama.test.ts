import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { type APIError } from 'openai';
import type { SeenRequest } from '../support/fake-provider-server.js';
import { startFakeOllama, type FakeOllama } from '../support/fake-ollama.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * Native Ollama deployments against a fake of Ollama's API, with the official SDKs as callers:
 * `ollama_chat/` through `/api/chat` (tools, images), `ollama/` through `/api/generate`, text
 * completions and embeddings, newline-delimited JSON streams, `/v1/messages`, errors in the
 * caller's shape with Ollama's message, routing (a busy server retried elsewhere, a bad request
 * never) and a health probe.
 */

const MODELS = ['llama3.2', 'qwen2.5', 'nomic-embed-text', 'busy-first', 'busy-second', 'flaky'];
const PNG = 'iVBORw0KGgoAAAANSUhEUg==';
const WEATHER = { type: 'function' as const, function: { name: 'weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

let ollama: FakeOllama;
let gateway: GatewayProcess;
let openai: OpenAI;

before(async () => {
  ollama = await startFakeOllama(MODELS);
  const deployment = (name: string, model: string, extra: object = {}, info: object = {}) => ({
    model_name: name, litellm_params: { model, api_base: ollama.url, ...extra }, model_info: { id: `${name}-${model}`, ...info },
  });
  gateway = await startGateway({
    config: {
      model_list: [
        deployment('chat', 'ollama_chat/llama3.2'),
        // The base from OLLAMA_API_BASE, written with /v1 as it was for Ollama's OpenAI API.
        { model_name: 'generate', litellm_params: { model: 'ollama/qwen2.5' }, model_info: { id: 'generate' } },
        deployment('embed', 'ollama/nomic-embed-text', {}, { mode: 'embedding' }),
        deployment('missing', 'ollama_chat/not-pulled'),
        deployment('busy', 'ollama_chat/busy-first', { order: 1 }),
        deployment('busy', 'ollama_chat/busy-second', { order: 2 }),
        deployment('flaky', 'ollama_chat/flaky'),
      ],
      router_settings: { num_retries: 1, allowed_fails: 1 },
    },
    env: { OLLAMA_API_BASE: `${ollama.url}/v1` },
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'no-key', maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await ollama.close();
});

function last(model: string): SeenRequest {
  const found = ollama.requests.filter((r) => r.model === model).at(-1);
  assert.ok(found, `Ollama received a request for ${model}`);
  return found;
}

describe('ollama_chat/ (/api/chat)', () => {
  test('non-stream: stream false said explicitly, sampling in options, images as base64; usage from the eval counts', async () => {
    const answer = await openai.chat.completions.create({
      model: 'chat', max_tokens: 40, temperature: 0.1, stop: ['###'], seed: 3, response_format: { type: 'json_object' },
      messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }],
    });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: what is this');
    const seen = last('llama3.2');
    assert.equal(seen.path, '/api/chat');
    assert.deepEqual(seen.body, {
      model: 'llama3.2', stream: false, options: { num_predict: 40, temperature: 0.1, seed: 3, stop: ['###'] }, format: 'json',
      messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'what is this', images: [PNG] }],
    });
    assert.equal(answer.usage?.completion_tokens, 6);
    assert.ok((answer.usage?.prompt_tokens ?? 0) > 0);
  });

  test('stream: NDJSON lines become chunks; the done line the finish reason and usage', async () => {
    const stream = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'count one two' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.deepEqual([text, finish, usage?.completion_tokens], ['fake reply to: count one two', 'stop', 6]);
    assert.equal(last('llama3.2').body?.stream, true);
  });

  test('tools round trip: arguments as an object to Ollama, as JSON text to the caller; the result goes back with the tool name', async () => {
    ollama.behave('llama3.2', { toolCall: { name: 'weather', arguments: '{"city":"Oslo"}' } });
    const first = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'weather in Oslo?' }], tools: [WEATHER] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
    assert.ok(call?.type === 'function');
    assert.deepEqual(call.function, { name: 'weather', arguments: '{"city":"Oslo"}' });
    assert.match(call.id, /^call_/);
    assert.deepEqual(last('llama3.2').body?.tools, [WEATHER]);

    const second = await openai.chat.completions.create({
      model: 'chat', tools: [WEATHER],
      messages: [{ role: 'user', content: 'weather in Oslo?' }, { role: 'assistant', content: null, tool_calls: first.choices[0]!.message.tool_calls }, { role: 'tool', tool_call_id: call.id, content: 'snow' }],
    });
    assert.equal(second.choices[0]?.message.content, 'the tool weather said: snow');
    const back = last('llama3.2').body!.messages as Array<Record<string, unknown>>;
    assert.deepEqual(back[1], { role: 'assistant', content: '', tool_calls: [{ function: { name: 'weather', arguments: { city: 'Oslo' } } }] });

    const stream = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'weather?' }], tools: [WEATHER], stream: true });
    const calls: Array<{ name?: string; args: string }> = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[delta.index] ??= { args: '' };
        calls[delta.index]!.name ??= delta.function?.name;
        calls[delta.index]!.args += delta.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.deepEqual([calls, finish], [[{ name: 'weather', args: '{"city":"Oslo"}' }], 'tool_calls']);
    ollama.behave('llama3.2', {});
  });

  test('/v1/messages with the Anthropic SDK, JSON and stream', async () => {
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: 'no-key', maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'chat', max_tokens: 32, messages: [{ role: 'user', content: 'hej' }] });
    assert.deepEqual(message.content, [{ type: 'text', text: 'fake reply to: hej' }]);
    const final = await anthropic.messages.stream({ model: 'chat', max_tokens: 32, messages: [{ role: 'user', content: 'hej igen' }] }).finalMessage();
    assert.deepEqual(final.content, [{ type: 'text', text: 'fake reply to: hej igen' }]);
  });
});

describe('ollama/ (/api/generate), completions and embeddings', () => {
  test('chat through /api/generate: system apart, one user turn as the prompt; a conversation written out', async () => {
    const answer = await openai.chat.completions.create({ model: 'generate', messages: [{ role: 'system', content: 'be kind' }, { role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'fake completion of: hi');
    const seen = last('qwen2.5');
    assert.deepEqual([seen.path, seen.body?.prompt, seen.body?.system, seen.body?.stream], ['/api/generate', 'hi', 'be kind', false]);
    await openai.chat.completions.create({ model: 'generate', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }] });
    assert.equal(last('qwen2.5').body?.prompt, '### User:\na\n\n### Assistant:\nb\n\n### User:\nc\n\n### Assistant:\n');
    await assert.rejects(openai.chat.completions.create({ model: 'generate', messages: [{ role: 'user', content: 'x' }], tools: [WEATHER] }), (error: APIError) => error.status === 400 && /ollama_chat/.test(error.message));
  });

  test('/v1/completions, JSON and stream', async () => {
    const answer = await openai.completions.create({ model: 'generate', prompt: 'Once upon', max_tokens: 9 });
    assert.equal(answer.choices[0]?.text, 'fake completion of: Once upon');
    assert.deepEqual(last('qwen2.5').body?.options, { num_predict: 9 });
    const stream = await openai.completions.create({ model: 'generate', prompt: 'a time', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    assert.equal(text, 'fake completion of: a time');
  });

  test('embeddings through /api/embed', async () => {
    const answer = await openai.embeddings.create({ model: 'embed', input: ['x', 'yy'] });
    assert.deepEqual(answer.data.map((d) => d.embedding), [[0, 1, 0.75], [1, 2, 0.75]]);
    assert.equal(answer.usage.prompt_tokens, 8);
    assert.deepEqual(last('nomic-embed-text').body, { model: 'nomic-embed-text', input: ['x', 'yy'] });
  });
});

describe('errors and routing', () => {
  test('a model not pulled: 404 with Ollama\'s message, in the OpenAI and the Anthropic shape', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'x' }] }), (error: APIError) => error.status === 404 && /not found, try pulling it first/.test(error.message));
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: 'no-key', maxRetries: 0 });
    await assert.rejects(anthropic.messages.create({ model: 'missing', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (error: InstanceType<typeof Anthropic.APIError>) => error.status === 404 && /try pulling it first/.test(error.message));
  });

  test('a busy server (503) is retried on the other deployment and sits out; a bad request is refused before any call', async () => {
    ollama.behave('busy-first', { status: 503 });
    const answer = await openai.chat.completions.create({ model: 'busy', messages: [{ role: 'user', content: 'go' }] });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: go');
    const count = (model: string) => ollama.requests.filter((r) => r.model === model).length;
    assert.deepEqual([count('busy-first'), count('busy-second')], [1, 1]);
    // A second failure is past allowed_fails (1): the busy deployment sits out, the third goes straight to the other.
    await openai.chat.completions.create({ model: 'busy', messages: [{ role: 'user', content: 'again' }] });
    await openai.chat.completions.create({ model: 'busy', messages: [{ role: 'user', content: 'and again' }] });
    assert.deepEqual([count('busy-first'), count('busy-second')], [2, 3], 'the busy deployment was cooled down');

    const before = ollama.requests.length;
    await assert.rejects(
      openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }),
      (error: APIError) => error.status === 400 && /base64 data URLs/.test(error.message),
    );
    assert.equal(ollama.requests.length, before, 'no call for a request that cannot be sent, and no fetch of the image host');
  });

  test('an error line mid-stream ends the stream with Ollama\'s message', async () => {
    ollama.behave('flaky', { errorAfterChunks: 2, errorMessage: 'an error was encountered while running the model: CUDA error' });
    const stream = await openai.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'one two three four' }], stream: true });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    }, /CUDA error/);
    assert.equal(text, 'fake reply');
  });
});

describe('health probe', () => {
  test('chat and embedding probes pass; a model not pulled is unhealthy with Ollama\'s message', async () => {
    const probe = async (id: string) => {
      const response = await fetch(`${gateway.url}/health?model_id=${id}`);
      return { status: response.status, body: (await response.json()) as { healthy_count: number; unhealthy_endpoints: Array<{ error?: string }> } };
    };
    assert.equal((await probe('chat-ollama_chat/llama3.2')).body.healthy_count, 1);
    assert.deepEqual(last('llama3.2').body?.options, { num_predict: 16 });
    assert.equal((await probe('embed-ollama/nomic-embed-text')).body.healthy_count, 1);
    const missing = await probe('missing-ollama_chat/not-pulled');
    assert.equal(missing.status, 503);
    assert.match(missing.body.unhealthy_endpoints[0]?.error ?? '', /not found, try pulling it first/);
  });
});
