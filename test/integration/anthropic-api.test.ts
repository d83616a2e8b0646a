import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { anthropicMessageFor, splitText, startFakeUpstream, type Behaviour, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * The Anthropic side of the gateway, with the official SDKs as callers: `/v1/messages` routed to
 * an `anthropic/` deployment (native) and to an `openai/` one (translated), and the OpenAI API
 * routed to an `anthropic/` deployment. Every test checks both ends: what the fake upstream
 * received is the right translation, and what the SDK accumulated is what the fake meant.
 */

const MASTER_KEY = 'sk-anthropic-suite-master-42';
const ANT_KEY = 'sk-ant-upstream-key-0123456789';
const ENV_ANT_KEY = 'sk-ant-from-environment-98765';
const OPENAI_KEY = 'sk-openai-upstream-key-555777';
const PNG = 'iVBORw0KGgoAAAANSUhEUg==';
/** The API version the installed @anthropic-ai/sdk speaks (1.x: 2026-10-21), set explicitly where it is checked. */
const SDK_API_VERSION = '2026-10-21';

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let anthropic: Anthropic;
let openai: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  const claude = (name: string, model: string) => ({ model_name: name, litellm_params: { model: `anthropic/${model}`, api_base: upstream.url, api_key: ANT_KEY } });
  const gpt = (name: string, model: string) => ({ model_name: name, litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: OPENAI_KEY } });
  gateway = await startGateway({
    config: {
      model_list: [
        claude('claude', 'claude-up'),
        claude('claude-bad', 'claude-bad'),
        claude('claude-flaky', 'claude-flaky'),
        { model_name: 'claude-env', litellm_params: { model: 'anthropic/claude-env-up' } },
        gpt('gpt', 'gpt-up'),
        gpt('gpt-bad', 'gpt-bad'),
        { model_name: 'mocked', litellm_params: { model: 'openai/m', mock_response: 'Mocked answer here' } },
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 0 },
    },
    // The key from the environment, and an api_base ending in /v1 (both forms mean /v1/messages).
    env: { ANTHROPIC_API_KEY: ENV_ANT_KEY, ANTHROPIC_API_BASE: `${upstream.url}/v1` },
  });
  upstream.behave('claude-bad', { status: 400, errorMessage: 'messages: roles must alternate between "user" and "assistant"' });
  // message_start, ping, content_block_start, then two text deltas before the error event.
  upstream.behave('claude-flaky', { text: 'one two three four five', errorEventAfterChunks: 5 });
  upstream.behave('gpt-bad', { status: 400, errorMessage: "Invalid value for 'temperature': must be at most 2" });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: MASTER_KEY, maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

function lastRequest(model: string): RecordedRequest {
  const found = upstream.requests.filter((r) => r.model === model).at(-1);
  assert.ok(found, `the upstream received a request for ${model}`);
  return found;
}

/** The fake's behaviour is fixed per test; this keeps a copy to compute what it meant. */
function behave(model: string, behaviour: Behaviour): Behaviour {
  upstream.behave(model, behaviour);
  return behaviour;
}

/** The SDK's stream helper adds `parsed_output` and unset keys; the wire message has neither. */
function wireMessage(message: object): object {
  const { parsed_output: _parsed, ...rest } = message as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest)) as object;
}

const hasToolResult = (record: RecordedRequest) => JSON.stringify(record.body?.messages ?? []).includes('tool_result');
const hasToolMessage = (record: RecordedRequest) => ((record.body?.messages ?? []) as Array<{ role: string }>).some((m) => m.role === 'tool');

const weatherTool = { name: 'get_weather', description: 'Current weather for a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

describe('/v1/messages → anthropic/ deployment: forwarded natively', () => {
  test('messages.create: the request reaches Anthropic as sent, betas and fields the gateway does not read included; the answer comes back as sent', async () => {
    const behaviour = behave('claude-up', { text: 'Bonjour !', usage: { prompt_tokens: 30, completion_tokens: 4 }, cacheTokens: { read: 100, creation: 7 } });
    const params = {
      model: 'claude',
      max_tokens: 256,
      system: [{ type: 'text' as const, text: 'You are terse.', cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Say hello in French' }, { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: PNG } }] }],
      stop_sequences: ['###'],
      metadata: { user_id: 'user-1' },
      // Fields the gateway does not read pass as sent (the fake, like Anthropic, refuses unknown ones).
      service_tier: 'standard_only',
      context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
    };
    const message = await anthropic.messages.create(params as Anthropic.MessageCreateParamsNonStreaming, { headers: { 'anthropic-beta': 'prompt-caching-2024-07-31', 'anthropic-version': SDK_API_VERSION } });

    const received = lastRequest('claude-up');
    assert.equal(received.path, '/v1/messages');
    assert.deepEqual(received.body, { ...params, model: 'claude-up' });
    assert.equal(received.headers['x-api-key'], ANT_KEY);
    // The caller's API version is forwarded: the body is written in that version's shape.
    assert.equal(received.headers['anthropic-version'], SDK_API_VERSION);
    assert.equal(received.headers['anthropic-beta'], 'prompt-caching-2024-07-31');
    assert.equal(received.headers.authorization, undefined, 'the gateway key is not forwarded');

    assert.deepEqual(message, anthropicMessageFor(received, behaviour));
    assert.equal(message.usage.cache_read_input_tokens, 100);
    assert.match(message._request_id ?? '', /^[\w-]{8,}$/, 'the gateway request id, as Anthropic\'s request-id header');
    const line = await gateway.waitForLog((l) => l.msg === 'request' && l.route === '/v1/messages' && l.model_group === 'claude');
    assert.deepEqual(line.tokens, { input: 137, output: 4, cache_read: 100, cache_creation: 7 });
    assert.equal(line.provider, 'anthropic');
  });

  test('messages.stream: every event passes through; the final message is what the fake meant', async () => {
    const behaviour = behave('claude-up', { text: 'one two three four', chunkCount: 4, thinking: 'Counting.', cacheTokens: { read: 3, creation: 0 } });
    const stream = anthropic.messages.stream({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'count to four' }], thinking: { type: 'enabled', budget_tokens: 1024 } });
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    const final = await stream.finalMessage();
    const received = lastRequest('claude-up');
    assert.equal(received.body?.stream, true);
    assert.deepEqual(received.body?.thinking, { type: 'enabled', budget_tokens: 1024 });
    assert.deepEqual(wireMessage(final), anthropicMessageFor(received, behaviour));
    assert.deepEqual(deltas, splitText('one two three four', 4));
  });

  test('tool-use round trip: a streamed tool_use (input_json_delta) and the tool_result sent back unchanged', async () => {
    upstream.behave('claude-up', (record) => (hasToolResult(record)
      ? { text: 'It is 18C in Paris.' }
      : { text: 'Let me check.', toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } }));
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };
    const first = await anthropic.messages.stream({ model: 'claude', max_tokens: 200, tools: [weatherTool], tool_choice: { type: 'auto' }, messages: [question] }).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    assert.deepEqual(first.content, [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_fake_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);

    const messages: Anthropic.MessageParam[] = [
      question,
      { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake_1', content: '18C, sunny' }] },
    ];
    const second = await anthropic.messages.create({ model: 'claude', max_tokens: 200, tools: [weatherTool], messages });
    assert.deepEqual(second.content, [{ type: 'text', text: 'It is 18C in Paris.' }]);
    const received = lastRequest('claude-up');
    assert.deepEqual(received.body?.messages, JSON.parse(JSON.stringify(messages)));
    assert.deepEqual(received.body?.tools, [weatherTool]);
  });

  test('an Anthropic error answer keeps its status, type and message', async () => {
    await assert.rejects(anthropic.messages.create({ model: 'claude-bad', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
      assert.ok(error instanceof Anthropic.BadRequestError);
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.apiMessage, 'messages: roles must alternate between "user" and "assistant"');
      return true;
    });
  });

  test('an error event in the middle of a stream reaches the SDK as an error, with its type and message', async () => {
    const stream = anthropic.messages.stream({ model: 'claude-flaky', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });
    await assert.rejects(stream.finalMessage(), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError, String(error));
      assert.equal(error.type, 'overloaded_error');
      assert.match(error.apiMessage ?? '', /failed mid-stream: Overloaded/);
      return true;
    });
  });

  test('the events the upstream sent before its error event reach the client first, then the error event', async () => {
    // The fake writes its first events and the error event in one burst: they reach the gateway in
    // one read, so this is the cut inside a batch.
    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-flaky', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(response.status, 200);
    const names = [...(await response.text()).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    assert.equal(names[0], 'message_start');
    assert.equal(names.length, 6, `5 upstream events, then the error: ${names.join(', ')}`);
    assert.equal(names.at(-1), 'error');
  });
});

describe('/v1/messages → openai/ deployment: translated through chat completions', () => {
  test('messages.create: the upstream receives the chat translation; the answer is the fake reply as a Message', async () => {
    behave('gpt-up', { text: 'Hi from GPT', usage: { prompt_tokens: 20, completion_tokens: 5 } });
    const message = await anthropic.messages.create({
      model: 'gpt',
      max_tokens: 64,
      system: 'be brief',
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] }],
    });
    const received = lastRequest('gpt-up');
    assert.equal(received.path, '/v1/chat/completions');
    assert.equal(received.headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.equal(received.headers['x-api-key'], undefined);
    assert.deepEqual(received.body, {
      model: 'gpt-up',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
      ],
      max_tokens: 64,
      stop: ['END'],
      user: 'u-1',
    });
    assert.equal(message.type, 'message');
    assert.equal(message.model, 'gpt-up');
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hi from GPT' }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.input_tokens, 20);
    assert.equal(message.usage.output_tokens, 5);
  });

  test('messages.stream: the final message is the fake reply, usage from the upstream final chunk', async () => {
    behave('gpt-up', { text: 'alpha beta gamma delta', chunkCount: 4, usage: { prompt_tokens: 11, completion_tokens: 4 } });
    const stream = anthropic.messages.stream({ model: 'gpt', max_tokens: 64, messages: [{ role: 'user', content: 'letters' }] });
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    const final = await stream.finalMessage();
    const received = lastRequest('gpt-up');
    assert.equal(received.body?.stream, true);
    assert.deepEqual(received.body?.stream_options, { include_usage: true });
    assert.deepEqual(final.content, [{ type: 'text', text: 'alpha beta gamma delta' }]);
    assert.deepEqual(deltas, splitText('alpha beta gamma delta', 4));
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.usage.input_tokens, 11);
    assert.equal(final.usage.output_tokens, 4);
  });

  test('tool-use round trip: tool_calls stream back as tool_use blocks, tool_result goes up as a tool message', async () => {
    upstream.behave('gpt-up', (record) => (hasToolMessage(record)
      ? { text: 'It is 18C.' }
      : { toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } }));
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };
    const first = await anthropic.messages.stream({ model: 'gpt', max_tokens: 100, tools: [weatherTool], tool_choice: { type: 'any' }, messages: [question] }).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    assert.deepEqual(first.content, [{ type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { city: 'Paris' } }]);
    const firstReceived = lastRequest('gpt-up');
    assert.deepEqual(firstReceived.body?.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherTool.input_schema } }]);
    assert.equal(firstReceived.body?.tool_choice, 'required');

    const second = await anthropic.messages.create({
      model: 'gpt',
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        question,
        { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_fake_1', content: [{ type: 'text', text: '18C' }] }] },
      ],
    });
    assert.deepEqual(second.content, [{ type: 'text', text: 'It is 18C.' }]);
    assert.deepEqual(lastRequest('gpt-up').body?.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_fake_1', content: '18C' },
    ]);
  });

  test('the mock deployment answers /v1/messages too, streaming and not', async () => {
    const message = await anthropic.messages.create({ model: 'mocked', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Mocked answer here' }]);
    const final = await anthropic.messages.stream({ model: 'mocked', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    assert.deepEqual(final.content, [{ type: 'text', text: 'Mocked answer here' }]);
    assert.ok(final.usage.input_tokens > 0 && final.usage.output_tokens > 0);
  });

  test('the raw SSE is the full Anthropic event sequence, each event named after its type, no [DONE]', async () => {
    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mocked', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const raw = await response.text();
    assert.ok(!raw.includes('[DONE]'));
    const events = raw.split('\n\n').filter(Boolean).map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      assert.match(eventLine ?? '', /^event: /);
      assert.match(dataLine ?? '', /^data: /);
      const data = JSON.parse(dataLine!.slice(6)) as { type: string };
      assert.equal(eventLine!.slice(7), data.type);
      return data.type;
    });
    assert.deepEqual(events, [
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
  });

  test('an OpenAI upstream error comes back in the Anthropic shape with its message', async () => {
    await assert.rejects(anthropic.messages.create({ model: 'gpt-bad', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
      assert.ok(error instanceof Anthropic.BadRequestError);
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.apiMessage, "Invalid value for 'temperature': must be at most 2");
      return true;
    });
  });

  test('a block an OpenAI upstream cannot take is a 400 naming it, and nothing is sent', async () => {
    const before = upstream.requests.length;
    await assert.rejects(anthropic.messages.create({
      model: 'gpt', max_tokens: 10, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'x' }],
    }), (error: unknown) => error instanceof Anthropic.BadRequestError && /^tools\.0\.type: /.test(error.apiMessage ?? ''));
    assert.equal(upstream.requests.length, before);
  });
});

describe('OpenAI client → anthropic/ deployment: translated to Messages', () => {
  test('text: the upstream receives the Messages translation; the answer is a chat completion with cache usage', async () => {
    behave('claude-up', { text: 'Salut', usage: { prompt_tokens: 40, completion_tokens: 3 }, cacheTokens: { read: 32, creation: 0 } });
    const answer = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.test/cat.png' } }] },
      ],
      stop: 'END',
      user: 'u-9',
      temperature: 0.1,
      seed: 7,
    });
    const received = lastRequest('claude-up');
    assert.equal(received.path, '/v1/messages');
    assert.equal(received.headers['x-api-key'], ANT_KEY);
    assert.equal(received.headers['anthropic-version'], '2023-06-01');
    assert.equal(received.headers.authorization, undefined);
    assert.deepEqual(received.body, {
      model: 'claude-up',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'image', source: { type: 'url', url: 'https://example.test/cat.png' } }] }],
      system: 'be brief',
      temperature: 0.1,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-9' },
    });
    assert.equal(answer.object, 'chat.completion');
    assert.equal(answer.choices[0]?.message.content, 'Salut');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.equal(answer.usage?.prompt_tokens, 72);
    assert.equal(answer.usage?.completion_tokens, 3);
    assert.equal(answer.usage?.total_tokens, 75);
    assert.equal(answer.usage?.prompt_tokens_details?.cached_tokens, 32);
  });

  test('tool-call round trip: tool_use comes back as tool_calls, the tool message goes up as tool_result', async () => {
    upstream.behave('claude-up', (record) => (hasToolResult(record)
      ? { text: 'Sunny, 18C.' }
      : { text: 'Checking.', toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } }));
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherTool.input_schema } }];
    const question: OpenAI.Chat.Completions.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };
    const first = await openai.chat.completions.create({ model: 'claude', messages: [question], tools, tool_choice: 'required' });
    const firstReceived = lastRequest('claude-up');
    assert.deepEqual(firstReceived.body?.tools, [weatherTool]);
    assert.deepEqual(firstReceived.body?.tool_choice, { type: 'any' });
    const choice = first.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, 'Checking.');
    assert.deepEqual(choice.message.tool_calls, [{ id: 'toolu_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);

    const second = await openai.chat.completions.create({
      model: 'claude', tools,
      messages: [question, choice.message, { role: 'tool', tool_call_id: 'toolu_fake_1', content: '18C' }],
    });
    assert.equal(second.choices[0]?.message.content, 'Sunny, 18C.');
    assert.deepEqual(lastRequest('claude-up').body?.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_fake_1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake_1', content: '18C' }] },
    ]);
  });

  test('streaming with usage: every text delta in order, usage (cache included) in the final chunk', async () => {
    behave('claude-up', { text: 'one two three', chunkCount: 3, usage: { prompt_tokens: 10, completion_tokens: 3 }, cacheTokens: { read: 5, creation: 2 } });
    const stream = await openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'count' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(lastRequest('claude-up').body?.stream, true);
    assert.equal(lastRequest('claude-up').body?.stream_options, undefined);
    assert.deepEqual(chunks.map((c) => c.choices[0]?.delta.content).filter(Boolean), splitText('one two three', 3));
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'stop');
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage?.prompt_tokens, 17);
    assert.equal(last.usage?.completion_tokens, 3);
    assert.equal(last.usage?.prompt_tokens_details?.cached_tokens, 5);
  });

  test('streaming a tool call: the SDK accumulates the argument deltas into the fake tool call', async () => {
    behave('claude-up', { toolCall: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } });
    const runner = openai.chat.completions.stream({
      model: 'claude', messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool.input_schema } }],
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.tool_calls?.length, 1);
    const call = choice.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.equal(call.id, 'toolu_fake_1');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris', unit: 'celsius' });
  });

  test('an error event mid-stream ends the OpenAI stream with an error the SDK raises', async () => {
    const stream = await openai.chat.completions.create({ model: 'claude-flaky', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    }, /Overloaded/);
    assert.equal(text, 'one two');
  });

  test('the key and base URL come from ANTHROPIC_API_KEY / ANTHROPIC_API_BASE when the deployment sets none', async () => {
    const answer = await openai.chat.completions.create({ model: 'claude-env', messages: [{ role: 'user', content: 'env' }] });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: env');
    const received = lastRequest('claude-env-up');
    assert.equal(received.path, '/v1/messages');
    assert.equal(received.headers['x-api-key'], ENV_ANT_KEY);
  });

  test('completions and embeddings on an anthropic/ deployment get a clear 400 and reach no upstream', async () => {
    const before = upstream.requests.length;
    await assert.rejects(openai.completions.create({ model: 'claude', prompt: 'x' }), (error: unknown) => error instanceof OpenAI.BadRequestError && /Anthropic has no text completions API/.test(error.message));
    await assert.rejects(openai.embeddings.create({ model: 'claude', input: 'x' }), (error: unknown) => error instanceof OpenAI.BadRequestError && /no embeddings API/.test(error.message));
    assert.equal(upstream.requests.length, before);
  });

  test('an OpenAI request Anthropic cannot express is a 400 naming the field', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], n: 3 }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.param, 'n');
      return true;
    });
  });
});

describe('bad input on /v1/messages', () => {
  async function post(body: string, headers: Record<string, string> = { 'x-api-key': MASTER_KEY }) {
    const response = await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body });
    return { status: response.status, body: (await response.json()) as { type: string; error: { type: string; message: string } } };
  }
  const valid = { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

  const cases: Array<[string, string, number, string, RegExp]> = [
    ['missing max_tokens', JSON.stringify({ model: 'claude', messages: valid.messages }), 400, 'invalid_request_error', /^max_tokens: Field required$/],
    ['an OpenAI content part', JSON.stringify({ ...valid, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }), 400, 'invalid_request_error', /^messages\.0\.content\.0\.type: unknown content block type "image_url"/],
    ['a tool_use block without input', JSON.stringify({ ...valid, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f' }] }] }), 400, 'invalid_request_error', /^messages\.1\.content\.0\.input: Field required$/],
    ['the role "tool"', JSON.stringify({ ...valid, messages: [{ role: 'tool', content: 'x' }] }), 400, 'invalid_request_error', /^messages\.0\.role: /],
    ['malformed JSON', '{"model": "claude", "max_tokens": 10,', 400, 'invalid_request_error', /not valid JSON/],
    ['an empty body', '', 400, 'invalid_request_error', /JSON object/],
    ['an unknown model group', JSON.stringify({ ...valid, model: 'nope' }), 404, 'not_found_error', /`nope` does not exist/],
  ];
  for (const [name, body, status, type, message] of cases) {
    test(`${name}: ${status} ${type} in Anthropic's shape, nothing sent upstream`, async () => {
      const before = upstream.requests.length;
      const answer = await post(body);
      assert.equal(answer.status, status);
      assert.equal(answer.body.type, 'error');
      assert.equal(answer.body.error.type, type);
      assert.match(answer.body.error.message, message);
      assert.equal(upstream.requests.length, before);
    });
  }

  test('a wrong or missing key is a 401 authentication_error; x-api-key and Bearer both work', async () => {
    for (const headers of [{ 'x-api-key': 'sk-wrong' }, {}] as Array<Record<string, string>>) {
      const answer = await post(JSON.stringify(valid), headers);
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error.type, 'authentication_error');
    }
    behave('claude-up', { text: 'ok' });
    assert.equal((await post(JSON.stringify(valid), { authorization: `Bearer ${MASTER_KEY}` })).status, 200);
    assert.equal((await post(JSON.stringify(valid))).status, 200);
  });

  test('the SDK raises the 400 as BadRequestError naming the field; the next good request is unaffected', async () => {
    const bad = { model: 'claude', messages: [{ role: 'user', content: 'hi' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    await assert.rejects(anthropic.messages.create(bad), (error: unknown) => error instanceof Anthropic.BadRequestError && error.apiMessage === 'max_tokens: Field required');
    behave('claude-up', { text: 'still fine' });
    const good = await anthropic.messages.create({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'ok?' }] });
    assert.deepEqual(good.content, [{ type: 'text', text: 'still fine' }]);
  });

  test('no key ever appears in the logs', async () => {
    const output = gateway.output();
    for (const secret of [MASTER_KEY, ANT_KEY, ENV_ANT_KEY, OPENAI_KEY]) assert.ok(!output.includes(secret), `logs contain ${secret}`);
  });
});
