import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { type APIError } from 'openai';
import { startFakeGoogle, type FakeGoogle, type GoogleRequest } from '../support/fake-gemini.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { freePort } from '../support/ports.js';

/**
 * Google's providers end to end: `gemini/` (the Gemini API, an API key) and `vertex_ai/` (Gemini
 * and Claude on Vertex, a service account whose tokens come from its token_uri), against the fake
 * in test/support/fake-gemini.ts, with the official SDKs as callers. Each: a plain answer, a
 * stream, a tools round trip, embeddings, errors in the caller's shape, a health probe.
 */

const MASTER_KEY = 'sk-google-suite-master-42';
const PNG = 'iVBORw0KGgoAAAANSUhEUg==';
const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
};

let google: FakeGoogle;
let gateway: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
let otherKeyPem: string;

before(async () => {
  google = await startFakeGoogle();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-google-'));
  const keyFile = join(dir, 'service-account.json');
  writeFileSync(keyFile, JSON.stringify(google.serviceAccount()));
  // A key the token endpoint does not know: its assertions fail the signature check.
  const closedPort = await freePort(); // nothing listens there: the token endpoint is unreachable
  otherKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const gemini = (name: string, model: string, extra: object = {}) => ({ model_name: name, litellm_params: { model: `gemini/${model}`, api_base: google.url, api_key: google.apiKey, ...extra } });
  const vertex = (name: string, model: string, extra: object = {}) => ({
    model_name: name,
    litellm_params: { model: `vertex_ai/${model}`, api_base: google.url, vertex_project: 'fake-project', vertex_location: 'europe-west4', vertex_credentials: JSON.stringify(google.serviceAccount()), ...extra },
  });
  gateway = await startGateway({
    config: {
      model_list: [
        gemini('gemini', 'gemini-up'),
        gemini('gemini-tools', 'gemini-tools'),
        { ...gemini('gemini-embed', 'text-embedding-004'), model_info: { mode: 'embedding' } },
        // Two deployments: a group's only deployment is never cooled down (router/cooldowns.ts).
        gemini('gemini-invalid', 'gemini-invalid'),
        gemini('gemini-invalid', 'gemini-invalid', { timeout: 30 }),
        gemini('gemini-busy', 'gemini-busy'),
        gemini('gemini-blocked', 'gemini-blocked'),
        gemini('gemini-cut', 'gemini-cut'),
        gemini('gemini-bad-key', 'gemini-up', { api_key: 'AIzaWrongWrongWrongWrongWrongWrong12345' }),
        vertex('vertex-gemini', 'gemini-2.5-pro'),
        vertex('vertex-tools', 'gemini-vertex-tools'),
        { ...vertex('vertex-embed', 'text-embedding-005'), model_info: { mode: 'embedding' } },
        vertex('vertex-claude', 'claude-sonnet-4-5@20250929', { vertex_credentials: keyFile }),
        vertex('vertex-claude-tools', 'claude-tools', { vertex_credentials: keyFile, temperature: 0.3 }),
        vertex('vertex-short', 'gemini-short'),
        vertex('vertex-bad-account', 'gemini-2.5-pro', { vertex_credentials: JSON.stringify({ ...google.serviceAccount(), private_key: otherKeyPem }) }),
        vertex('vertex-no-token-endpoint', 'gemini-2.5-pro', { vertex_credentials: JSON.stringify({ ...google.serviceAccount(), token_uri: `http://127.0.0.1:${closedPort}/token` }) }),
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 0, allowed_fails: 0 },
    },
  });
  google.behave('gemini-tools', { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, usage: { promptTokenCount: 20, candidatesTokenCount: 5, cachedContentTokenCount: 8, thoughtsTokenCount: 3 } });
  google.behave('gemini-vertex-tools', { functionCall: { name: 'get_weather', args: { city: 'Oslo' } } });
  google.behave('claude-tools', { toolCall: { name: 'get_weather', arguments: '{"city":"Rome"}' } });
  google.behave('gemini-invalid', { error: { code: 400, status: 'INVALID_ARGUMENT', message: '* GenerateContentRequest.contents: contents is not specified' } });
  google.behave('gemini-busy', {
    error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' }] },
  });
  google.behave('gemini-blocked', { blockPrompt: 'SAFETY' });
  google.behave('gemini-cut', { text: 'one two three four', truncateAfterEvents: 2 });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: MASTER_KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await google.close();
});

function lastFor(model: string, action?: string): GoogleRequest {
  const found = google.requests.filter((r) => r.model === model && (action === undefined || r.action === action)).at(-1);
  assert.ok(found, `the fake saw no ${action ?? ''} request for ${model}`);
  return found;
}

async function streamText(model: string, content: string): Promise<{ text: string; finish: string | null; usage: OpenAI.CompletionUsage | null | undefined }> {
  const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, finish, usage };
}

/** A tools round trip through the OpenAI API: the call, then the tool's result, then the answer. */
async function toolsRoundTrip(model: string, city: string): Promise<{ answer: string | null | undefined; call: OpenAI.ChatCompletionMessageToolCall }> {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `Weather in ${city}?` }];
  const first = await openai.chat.completions.create({ model, messages, tools: [WEATHER_TOOL] });
  assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
  const call = first.choices[0]!.message.tool_calls![0]!;
  assert.ok(call.type === 'function');
  assert.deepEqual(JSON.parse(call.function.arguments), { city });
  messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' });
  const second = await openai.chat.completions.create({ model, messages, tools: [WEATHER_TOOL] });
  return { answer: second.choices[0]?.message.content, call };
}

describe('gemini/ (the Gemini API)', () => {
  test('a chat answer: system instruction, image, sampling; the key in a header, never the URL', async () => {
    const answer = await openai.chat.completions.create({
      model: 'gemini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
      ],
      max_tokens: 50, temperature: 0.2, stop: 'END', user: 'u-1',
    });
    assert.equal(answer.choices[0]?.message.content, 'gemini reply to: What is this?');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.ok(answer.usage!.prompt_tokens > 0 && answer.usage!.completion_tokens === 7);
    const seen = lastFor('gemini-up', 'generateContent');
    assert.equal(seen.headers['x-goog-api-key'], google.apiKey);
    assert.equal(seen.query, '');
    assert.deepEqual(seen.body?.systemInstruction, { parts: [{ text: 'Be brief.' }] });
    assert.deepEqual(seen.body?.contents, [{ role: 'user', parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: PNG } }] }]);
    assert.deepEqual(seen.body?.generationConfig, { maxOutputTokens: 50, temperature: 0.2, stopSequences: ['END'] });
  });

  test('a stream: content deltas, the finish reason, usage', async () => {
    const { text, finish, usage } = await streamText('gemini', 'count to three');
    assert.equal(text, 'gemini reply to: count to three');
    assert.equal(finish, 'stop');
    assert.equal(usage?.completion_tokens, 7);
    assert.equal(lastFor('gemini-up').query, '?alt=sse');
    // Cut before the event with the finishReason: the client sees what came, then an error, never a clean end.
    let seen = '';
    await assert.rejects(async () => {
      const stream = await openai.chat.completions.create({ model: 'gemini-cut', messages: [{ role: 'user', content: 'x' }], stream: true });
      for await (const chunk of stream) seen += chunk.choices[0]?.delta.content ?? '';
    }, /without a finishReason: the answer was cut short/);
    assert.equal(seen, 'one two');
  });

  test('tools round trip: functionCall → tool_calls, the result back as functionResponse; usage with cached and thinking tokens', async () => {
    const { answer } = await toolsRoundTrip('gemini-tools', 'Paris');
    assert.equal(answer, 'get_weather said {"temperature":21}');
    const seen = lastFor('gemini-tools');
    const contents = seen.body?.contents as Array<{ role: string; parts: unknown[] }>;
    assert.deepEqual(contents.map((c) => c.role), ['user', 'model', 'user']);
    assert.deepEqual(contents[1]!.parts, [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }]);
    assert.deepEqual(contents[2]!.parts, [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }]);
    // additionalProperties is not in Gemini's Schema (the fake refuses it, as Google does): left out.
    assert.deepEqual(seen.body?.tools, [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }]);
    const first = await openai.chat.completions.create({ model: 'gemini-tools', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL] });
    assert.equal(first.usage?.prompt_tokens, 20);
    assert.equal(first.usage?.completion_tokens, 8);
    assert.equal(first.usage?.prompt_tokens_details?.cached_tokens, 8);
    assert.equal(first.usage?.completion_tokens_details?.reasoning_tokens, 3);
  });

  test('a streamed function call arrives whole as one tool call', async () => {
    const stream = await openai.chat.completions.create({ model: 'gemini-tools', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL], stream: true });
    const calls: Array<{ id?: string; name?: string; arguments: string }> = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[call.index] ??= { arguments: '' };
        const into = calls[call.index]!;
        into.id ??= call.id;
        into.name ??= call.function?.name;
        into.arguments += call.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.name, 'get_weather');
    assert.match(calls[0]!.id ?? '', /^call_/);
    assert.deepEqual(JSON.parse(calls[0]!.arguments), { city: 'Paris' });
    assert.equal(finish, 'tool_calls');
  });

  test('response_format json_schema becomes responseMimeType and a Gemini schema', async () => {
    await openai.chat.completions.create({
      model: 'gemini',
      messages: [{ role: 'user', content: 'A person' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: ['integer', 'null'] } }, required: ['name', 'age'], additionalProperties: false } } },
    });
    const config = lastFor('gemini-up').body?.generationConfig as Record<string, unknown>;
    assert.equal(config.responseMimeType, 'application/json');
    assert.deepEqual(config.responseSchema, { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer', nullable: true } }, required: ['name', 'age'] });
  });

  test('embeddings through batchEmbedContents', async () => {
    const answer = await openai.embeddings.create({ model: 'gemini-embed', input: ['hello', 'hi'] }); // the SDK asks for base64
    assert.deepEqual(answer.data.map((d) => d.embedding), [[5, 0.25, -0.5], [2, 0.25, -0.5]]);
    const floats = await openai.embeddings.create({ model: 'gemini-embed', input: 'hey', encoding_format: 'float', dimensions: 3 });
    assert.deepEqual(floats.data[0]?.embedding, [3, 0.25, -0.5]);
    assert.deepEqual(lastFor('text-embedding-004').body, { requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'hey' }] }, outputDimensionality: 3 }] });
    assert.equal(lastFor('text-embedding-004').action, 'batchEmbedContents');
  });

  test('/v1/messages (Anthropic SDK) on a Gemini deployment', async () => {
    const message = await anthropic.messages.create({ model: 'gemini', max_tokens: 64, system: 'Terse.', messages: [{ role: 'user', content: 'Hello there' }] });
    assert.equal((message.content[0] as { text: string }).text, 'gemini reply to: Hello there');
    assert.equal(message.stop_reason, 'end_turn');
    assert.deepEqual(lastFor('gemini-up').body?.systemInstruction, { parts: [{ text: 'Terse.' }] });
    const stream = anthropic.messages.stream({ model: 'gemini', max_tokens: 64, messages: [{ role: 'user', content: 'Stream there' }] });
    const final = await stream.finalMessage();
    assert.equal((final.content[0] as { text: string }).text, 'gemini reply to: Stream there');
    assert.equal(lastFor('gemini-up').action, 'streamGenerateContent');
  });

  test('errors reach the caller in its API shape with Google\'s message; 400 INVALID_ARGUMENT never cools the deployment down', async () => {
    // Were a 400 counted (allowed_fails: 0), each deployment would cool down at its first and the third call get a 503.
    for (let i = 0; i < 3; i++) {
      await assert.rejects(openai.chat.completions.create({ model: 'gemini-invalid', messages: [{ role: 'user', content: 'x' }] }), (error: APIError) => {
        assert.equal(error.status, 400);
        assert.equal(error.code, 'INVALID_ARGUMENT');
        assert.match(error.message, /contents is not specified/);
        return true;
      });
    }
    await assert.rejects(anthropic.messages.create({ model: 'gemini-invalid', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }), (error: { status?: number; message: string }) => {
      assert.equal(error.status, 400);
      assert.match(error.message, /contents is not specified/);
      return true;
    });
  });

  test('429 RESOURCE_EXHAUSTED is a rate limit; a bad key is a 401; a blocked prompt a clear content_filter 400', async () => {
    const raw = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-busy', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(raw.status, 429);
    const body = (await raw.json()) as { error: { message: string; code: string } };
    assert.match(body.error.message, /Resource has been exhausted/);
    assert.equal(body.error.code, 'RESOURCE_EXHAUSTED');
    await assert.rejects(openai.chat.completions.create({ model: 'gemini-bad-key', messages: [{ role: 'user', content: 'x' }] }), (error: APIError) => {
      assert.equal(error.status, 401);
      assert.match(error.message, /API key not valid/);
      assert.ok(!error.message.includes('AIzaWrong'), error.message);
      return true;
    });
    await assert.rejects(openai.chat.completions.create({ model: 'gemini-blocked', messages: [{ role: 'user', content: 'x' }] }), (error: APIError) => {
      assert.equal(error.status, 400);
      assert.equal(error.code, 'content_filter');
      assert.match(error.message, /safety filters \(SAFETY\)/);
      return true;
    });
  });
});

describe('vertex_ai/ (Gemini and Claude on Vertex AI)', () => {
  test('Gemini: a chat answer and a stream with one cached access token from the service account\'s token_uri', async () => {
    const issued = google.issuedTokens;
    const answer = await openai.chat.completions.create({ model: 'vertex-gemini', messages: [{ role: 'user', content: 'Hi Vertex' }] });
    assert.equal(answer.choices[0]?.message.content, 'gemini reply to: Hi Vertex');
    const { text, finish } = await streamText('vertex-gemini', 'stream please');
    assert.equal(text, 'gemini reply to: stream please');
    assert.equal(finish, 'stop');
    const seen = lastFor('gemini-2.5-pro', 'streamGenerateContent');
    assert.equal(seen.path, '/v1/projects/fake-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent');
    assert.match(String(seen.headers.authorization), /^Bearer ya29\.fake-/);
    assert.ok(google.issuedTokens - issued <= 1, `${google.issuedTokens - issued} tokens for two calls`);
  });

  test('Gemini: tools round trip and embeddings through :predict', async () => {
    const { answer } = await toolsRoundTrip('vertex-tools', 'Oslo');
    assert.equal(answer, 'get_weather said {"temperature":21}');
    const embedded = await openai.embeddings.create({ model: 'vertex-embed', input: 'hello vertex' });
    assert.deepEqual(embedded.data[0]?.embedding, [12, 0.25, -0.5]);
    assert.equal(embedded.usage.prompt_tokens, 3);
    assert.deepEqual(lastFor('text-embedding-005', 'predict').body, { instances: [{ content: 'hello vertex' }] });
  });

  test('Claude: the OpenAI API through rawPredict (no model in the body, the Vertex anthropic_version), a stream, a tools round trip', async () => {
    const answer = await openai.chat.completions.create({ model: 'vertex-claude', messages: [{ role: 'user', content: 'Hi Claude' }], max_tokens: 100 });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: Hi Claude');
    const seen = lastFor('claude-sonnet-4-5@20250929', 'rawPredict');
    assert.equal(seen.path, '/v1/projects/fake-project/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict');
    assert.equal(seen.body?.anthropic_version, 'vertex-2023-10-16');
    assert.equal(seen.body?.model, undefined);
    const { text, finish } = await streamText('vertex-claude', 'stream Claude');
    assert.equal(text, 'fake reply to: stream Claude');
    assert.equal(finish, 'stop');
    assert.equal(lastFor('claude-sonnet-4-5@20250929').action, 'streamRawPredict');
    const { call } = await toolsRoundTrip('vertex-claude-tools', 'Rome');
    assert.equal(call.id, 'toolu_fake_1');
    const messages = lastFor('claude-tools').body?.messages as Array<{ role: string; content: Array<{ type: string }> }>;
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.equal(messages[2]!.content[0]!.type, 'tool_result');
  });

  test('Claude: /v1/messages forwarded natively (Anthropic SDK), streamed too', async () => {
    const message = await anthropic.messages.create({ model: 'vertex-claude', max_tokens: 64, messages: [{ role: 'user', content: 'Native hello' }] });
    assert.equal((message.content[0] as { text: string }).text, 'fake reply to: Native hello');
    const seen = lastFor('claude-sonnet-4-5@20250929', 'rawPredict');
    assert.deepEqual(Object.keys(seen.body ?? {}).sort(), ['anthropic_version', 'max_tokens', 'messages']);
    await anthropic.messages.create({ model: 'vertex-claude-tools', max_tokens: 64, messages: [{ role: 'user', content: 'With defaults' }] });
    assert.equal(lastFor('claude-tools', 'rawPredict').body?.temperature, 0.3, 'the deployment\'s default temperature');
    const stream = anthropic.messages.stream({ model: 'vertex-claude', max_tokens: 64, messages: [{ role: 'user', content: 'Native stream' }] });
    const final = await stream.finalMessage();
    assert.equal((final.content[0] as { text: string }).text, 'fake reply to: Native stream');
  });

  test('an expired token is never sent: a new one is fetched shortly before expiry', async () => {
    google.tokenLifetimeSeconds = 2;
    try {
      const issued = google.issuedTokens;
      await openai.chat.completions.create({ model: 'vertex-short', messages: [{ role: 'user', content: 'one' }] });
      const first = lastFor('gemini-short').headers.authorization;
      await openai.chat.completions.create({ model: 'vertex-short', messages: [{ role: 'user', content: 'two' }] });
      assert.equal(lastFor('gemini-short').headers.authorization, first, 'the token is reused while fresh');
      await new Promise((resolve) => setTimeout(resolve, 2_100)); // past the token's life: the fake would answer 401
      const answer = await openai.chat.completions.create({ model: 'vertex-short', messages: [{ role: 'user', content: 'three' }] });
      assert.equal(answer.choices[0]?.message.content, 'gemini reply to: three');
      assert.notEqual(lastFor('gemini-short').headers.authorization, first);
      assert.equal(google.issuedTokens - issued, 2);
    } finally {
      google.tokenLifetimeSeconds = 3600;
    }
  });

  test('a service account the token endpoint refuses: 401 with the endpoint\'s reason, no secret', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'vertex-bad-account', messages: [{ role: 'user', content: 'x' }] }), (error: APIError) => {
      assert.equal(error.status, 401);
      assert.match(error.message, /invalid_grant: Invalid JWT Signature/);
      assert.ok(!/PRIVATE KEY|eyJ/.test(error.message), error.message);
      return true;
    });
    const errors = google.requests.filter((r) => r.api !== 'token' && r.model === 'gemini-2.5-pro' && !String(r.headers.authorization).startsWith('Bearer ya29.fake-'));
    assert.equal(errors.length, 0, 'no call to Vertex without a token');
    // An unreachable token endpoint is transient (502), like an unreachable upstream.
    await assert.rejects(openai.chat.completions.create({ model: 'vertex-no-token-endpoint', messages: [{ role: 'user', content: 'x' }] }), (error: APIError) => {
      assert.equal(error.status, 502);
      assert.match(error.message, /could not get a Google access token: the token endpoint failed: ECONNREFUSED/);
      return true;
    });
  });

  test('health probes: /health reaches each provider; logs hold no key, token or private key', async () => {
    for (const model of ['gemini', 'vertex-gemini', 'vertex-claude', 'vertex-embed']) {
      const response = await fetch(`${gateway.url}/health?model=${model}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      const report = (await response.json()) as { healthy_count: number; unhealthy_endpoints: unknown[] };
      assert.equal(report.healthy_count, 1, `${model}: ${JSON.stringify(report)}`);
    }
    const output = gateway.output();
    assert.ok(!output.includes(google.apiKey), 'the API key is in the logs');
    assert.ok(!output.includes('ya29.fake-'), 'an access token is in the logs');
    assert.ok(!output.includes('PRIVATE KEY'), 'a private key is in the logs');
  });
});
