import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { type APIError } from 'openai';
import { startFakeCohere, type FakeCohere } from '../support/fake-cohere.js';
import type { SeenRequest } from '../support/fake-provider-server.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * `cohere/` deployments against a fake of Cohere's v2 API, with the official SDKs as callers:
 * chat (JSON and SSE) and embeddings translated both ways, a tool round trip, `/v1/messages`,
 * errors in the caller's shape with Cohere's message (never the key), routing (429 retried and
 * cooled down, a client's bad request neither), and a health probe.
 */

const MASTER_KEY = 'sk-cohere-suite-master-11';
const COHERE_KEY = 'co-upstream-secret-key-73519';
const WEATHER = { type: 'function' as const, function: { name: 'weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

let cohere: FakeCohere;
let gateway: GatewayProcess;
let openai: OpenAI;

before(async () => {
  cohere = await startFakeCohere(COHERE_KEY);
  const deployment = (name: string, model: string, extra: object = {}, info: object = {}) => ({
    model_name: name, litellm_params: { model: `cohere/${model}`, api_base: cohere.url, ...extra }, model_info: { id: model, ...info },
  });
  gateway = await startGateway({
    config: {
      model_list: [
        deployment('command', 'command-a-03-2025', { api_key: COHERE_KEY }),
        // The key from COHERE_API_KEY, and an api_base written as LiteLLM's docs show it (ending in /v2/chat).
        { model_name: 'command-env', litellm_params: { model: 'cohere/command-env', api_base: `${cohere.url}/v2/chat` }, model_info: { id: 'command-env' } },
        // LiteLLM's cohere_chat/ prefix (Cohere's v1 chat there) is served through v2.
        { model_name: 'command-v1', litellm_params: { model: 'cohere_chat/command-r-08-2024', api_base: cohere.url, api_key: COHERE_KEY }, model_info: { id: 'command-v1' } },
        deployment('embed', 'embed-english-v3.0', { api_key: COHERE_KEY }, { mode: 'embedding' }),
        deployment('wrong-key', 'command-r', { api_key: 'co-not-the-key' }),
        // Two deployments, the first preferred: a 429 there is retried on the second.
        deployment('pair', 'pair-limited', { api_key: COHERE_KEY, order: 1 }),
        deployment('pair', 'pair-spare', { api_key: COHERE_KEY, order: 2 }),
        deployment('strict', 'strict-first', { api_key: COHERE_KEY, order: 1 }),
        deployment('strict', 'strict-second', { api_key: COHERE_KEY, order: 2 }),
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 1, allowed_fails: 1 },
    },
    env: { COHERE_API_KEY: COHERE_KEY },
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await cohere.close();
});

function last(model: string): SeenRequest {
  const found = cohere.requests.filter((r) => r.model === model).at(-1);
  assert.ok(found, `Cohere received a request for ${model}`);
  return found;
}

describe('chat', () => {
  test('non-stream: OpenAI fields under Cohere names, hints left out; the answer and usage come back as OpenAI', async () => {
    const answer = await openai.chat.completions.create({
      model: 'command', messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: 'hello there' }],
      max_completion_tokens: 50, top_p: 0.9, temperature: 0.2, stop: 'END', seed: 7, user: 'u-1', logit_bias: { 1: 1 },
    });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: hello there');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.equal(answer.model, 'command-a-03-2025');
    const seen = last('command-a-03-2025');
    assert.equal(seen.path, '/v2/chat');
    assert.equal(seen.headers.authorization, `Bearer ${COHERE_KEY}`);
    assert.deepEqual(seen.body, {
      model: 'command-a-03-2025', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello there' }],
      max_tokens: 50, temperature: 0.2, p: 0.9, seed: 7, stop_sequences: ['END'],
    });
    // Usage counts what the model saw (`tokens`), not the billed units.
    const input = Math.ceil(JSON.stringify(seen.body?.messages).length / 4) + 7;
    assert.equal(answer.usage?.prompt_tokens, input);
  });

  test('the key from COHERE_API_KEY; an api_base ending in /v2/chat means the same endpoint; cohere_chat/ is served through v2', async () => {
    const answer = await openai.chat.completions.create({ model: 'command-env', messages: [{ role: 'user', content: 'from env' }] });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: from env');
    assert.equal(last('command-env').path, '/v2/chat');
    const v1 = await openai.chat.completions.create({ model: 'command-v1', messages: [{ role: 'user', content: 'old prefix' }] });
    assert.equal(v1.choices[0]?.message.content, 'fake reply to: old prefix');
    assert.equal(last('command-r-08-2024').path, '/v2/chat');
  });

  test('stream: content deltas become chunks, message-end the finish reason and the usage', async () => {
    const stream = await openai.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'one two three' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, 'fake reply to: one two three');
    assert.equal(finish, 'stop');
    assert.ok((usage?.completion_tokens ?? 0) > 0);
    assert.equal(last('command-a-03-2025').body?.stream, true);
  });

  test('a stream cut before message-end is an error, not a normal end', async () => {
    cohere.behave('command-r-cut', { truncateAfterChunks: 3 });
    const local = await startGateway({ config: { model_list: [{ model_name: 'cut', litellm_params: { model: 'cohere/command-r-cut', api_base: cohere.url, api_key: COHERE_KEY } }], router_settings: { num_retries: 0 } } });
    const client = new OpenAI({ baseURL: `${local.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'cut', messages: [{ role: 'user', content: 'a b c d e' }], stream: true });
    await assert.rejects(async () => {
      for await (const _chunk of stream) { /* read */ }
    }, /cut short|message-end/);
    await local.stop();
  });

  test('tools round trip: the call with Cohere\'s id, then the tool result answered (JSON and stream)', async () => {
    cohere.behave('command-a-03-2025', { toolCall: { name: 'weather', arguments: '{"city":"Paris"}' } });
    const first = await openai.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'weather in Paris?' }], tools: [WEATHER], tool_choice: 'required' });
    const call = first.choices[0]?.message.tool_calls?.[0];
    assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual([call?.id, call?.type === 'function' ? call.function : undefined], ['weather_fake01', { name: 'weather', arguments: '{"city":"Paris"}' }]);
    const sent = last('command-a-03-2025').body!;
    assert.equal(sent.tool_choice, 'REQUIRED');
    assert.deepEqual(sent.tools, [WEATHER]);

    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: first.choices[0]!.message.tool_calls },
      { role: 'tool', tool_call_id: call!.id, content: 'sunny, 21 C' },
    ];
    const second = await openai.chat.completions.create({ model: 'command', messages, tools: [WEATHER] });
    assert.equal(second.choices[0]?.message.content, 'the tool said: sunny, 21 C');
    const back = last('command-a-03-2025').body!.messages as Array<Record<string, unknown>>;
    assert.deepEqual(back[1], { role: 'assistant', tool_calls: [{ id: 'weather_fake01', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] });
    assert.deepEqual(back[2], { role: 'tool', tool_call_id: 'weather_fake01', content: 'sunny, 21 C' });

    const stream = await openai.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'weather?' }], tools: [WEATHER], stream: true });
    let args = '';
    let name: string | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.tool_calls?.[0];
      name ??= delta?.function?.name;
      args += delta?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.deepEqual([name, args, finish], ['weather', '{"city":"Paris"}', 'tool_calls']);
    cohere.behave('command-a-03-2025', {});
  });

  test('/v1/messages with the Anthropic SDK, JSON and stream', async () => {
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: MASTER_KEY, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'command', max_tokens: 64, system: 'terse', messages: [{ role: 'user', content: 'ahoy' }] });
    assert.deepEqual(message.content, [{ type: 'text', text: 'fake reply to: ahoy' }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.deepEqual(last('command-a-03-2025').body?.messages, [{ role: 'system', content: 'terse' }, { role: 'user', content: 'ahoy' }]);
    const stream = anthropic.messages.stream({ model: 'command', max_tokens: 64, messages: [{ role: 'user', content: 'streamed ahoy' }] });
    const final = await stream.finalMessage();
    assert.deepEqual(final.content, [{ type: 'text', text: 'fake reply to: streamed ahoy' }]);
  });
});

describe('embeddings', () => {
  test('/v2/embed with input_type, answered as OpenAI floats (and base64, the SDK default)', async () => {
    const answer = await openai.embeddings.create({ model: 'embed', input: ['a', 'bb'] });
    assert.deepEqual(answer.data.map((d) => d.embedding), [[0, 1, 0.25], [1, 2, 0.25]]);
    assert.equal(answer.usage.prompt_tokens, 6);
    const seen = last('embed-english-v3.0');
    assert.equal(seen.path, '/v2/embed');
    assert.deepEqual(seen.body, { model: 'embed-english-v3.0', texts: ['a', 'bb'], input_type: 'search_document', embedding_types: ['float'] });
    const floats = await openai.embeddings.create({ model: 'embed', input: 'ccc', encoding_format: 'float' });
    assert.deepEqual(floats.data[0]?.embedding, [0, 3, 0.25]);
  });
});

describe('errors and routing', () => {
  test('a wrong key: 401 with Cohere\'s message, in the OpenAI shape and the Anthropic one; no key in any answer or log', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'wrong-key', messages: [{ role: 'user', content: 'x' }] }), (error: APIError) => {
      assert.equal(error.status, 401);
      assert.match(error.message, /invalid api token/);
      return true;
    });
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: MASTER_KEY, maxRetries: 0 });
    await assert.rejects(anthropic.messages.create({ model: 'wrong-key', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (error: InstanceType<typeof Anthropic.APIError>) => {
      assert.equal(error.status, 401);
      assert.equal((error.error as { type?: string }).type, 'error');
      assert.match(error.message, /invalid api token/);
      return true;
    });
    assert.ok(!gateway.output().includes(COHERE_KEY) && !gateway.output().includes('co-not-the-key'), 'no key in the logs');
  });

  test('Cohere\'s 498 (invalid token) reaches the client as a 401', async () => {
    cohere.behave('command-a-03-2025', { status: 498, errorMessage: 'invalid api token' });
    await assert.rejects(openai.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'x' }] }), (error: APIError) => error.status === 401 && /invalid api token/.test(error.message));
    cohere.behave('command-a-03-2025', {});
  });

  test('429 on the preferred deployment: retried on the other at once, and the limited one sits out', async () => {
    cohere.behave('pair-limited', { status: 429 });
    const answer = await openai.chat.completions.create({ model: 'pair', messages: [{ role: 'user', content: 'first' }] });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: first');
    await openai.chat.completions.create({ model: 'pair', messages: [{ role: 'user', content: 'second' }] });
    const count = (model: string) => cohere.requests.filter((r) => r.model === model).length;
    assert.deepEqual([count('pair-limited'), count('pair-spare')], [1, 2]);
  });

  test('a bad request is the caller\'s: Cohere\'s 400 is passed on and never retried or counted; what Cohere cannot express is refused before any call', async () => {
    cohere.behave('strict-first', { status: 400, errorMessage: 'invalid request: message must be at least 1 token long or tool results must be specified.' });
    for (let i = 0; i < 3; i++) {
      await assert.rejects(openai.chat.completions.create({ model: 'strict', messages: [{ role: 'user', content: '' }] }), (error: APIError) => error.status === 400 && /at least 1 token/.test(error.message));
    }
    const count = (model: string) => cohere.requests.filter((r) => r.model === model).length;
    // With allowed_fails 1, two counted failures would have cooled strict-first down.
    assert.deepEqual([count('strict-first'), count('strict-second')], [3, 0]);
    const before = cohere.requests.length;
    await assert.rejects(
      openai.chat.completions.create({ model: 'strict', messages: [{ role: 'user', content: 'x' }], tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'weather' } } }),
      (error: APIError) => error.status === 400 && (error as { param?: string | null }).param === 'tool_choice',
    );
    assert.equal(cohere.requests.length, before, 'nothing was sent');
  });

  test('/v1/completions is a clear 400: Cohere v2 has no text completions', async () => {
    await assert.rejects(openai.completions.create({ model: 'command', prompt: 'x' }), (error: APIError) => error.status === 400 && /no text completions/.test(error.message));
  });
});

describe('health probe', () => {
  test('a chat probe and an embedding probe pass; a deployment with a wrong key is unhealthy, its key nowhere', async () => {
    const probe = async (id: string) => {
      const response = await fetch(`${gateway.url}/health?model_id=${id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      return { status: response.status, text: await response.text() };
    };
    const chat = await probe('command-a-03-2025');
    assert.equal(chat.status, 200, chat.text);
    assert.equal((JSON.parse(chat.text) as { healthy_count: number }).healthy_count, 1);
    assert.equal(last('command-a-03-2025').body?.max_tokens, 16);
    assert.equal((JSON.parse((await probe('embed-english-v3.0')).text) as { healthy_count: number }).healthy_count, 1);
    const bad = await probe('command-r');
    assert.equal(bad.status, 503);
    assert.match(bad.text, /invalid api token/);
    assert.ok(!bad.text.includes('co-not-the-key'));
  });
});
