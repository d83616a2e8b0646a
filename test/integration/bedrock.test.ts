import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { APIError } from 'openai';
import { startFakeBedrock, type FakeBedrock } from '../support/fake-bedrock.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * `bedrock/` deployments end to end: the real gateway signs with SigV4 and calls a fake Bedrock
 * runtime on loopback that checks every signature, answers Converse and Claude's invoke (JSON and
 * AWS's binary event stream) and Titan/Cohere embeddings, and refuses what the real service
 * refuses. Callers are the official OpenAI and Anthropic SDKs.
 */

const REGION = 'eu-west-1';
const KEY_ID = 'AKIAFAKEBEDROCK0001';
const SECRET = 'fake/bedrock+secret-key-0123456789abcdef';
const SESSION = 'fake-session-token-IQoJb3JpZ2luX2VjE';
const LLAMA = 'meta.llama3-1-70b-instruct-v1:0';
const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

let bedrock: FakeBedrock;
let gateway: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  bedrock = await startFakeBedrock({ accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: SESSION, region: REGION });
  const own = { aws_access_key_id: KEY_ID, aws_secret_access_key: SECRET, aws_session_token: SESSION, aws_region_name: REGION, aws_bedrock_runtime_endpoint: bedrock.url };
  gateway = await startGateway({
    config: {
      model_list: [
        // Keys, session token and region from the standard AWS variables; the endpoint as api_base.
        { model_name: 'llama', litellm_params: { model: `bedrock/converse/${LLAMA}`, api_base: bedrock.url }, model_info: { id: 'llama' } },
        { model_name: 'claude', litellm_params: { model: `bedrock/${CLAUDE}`, ...own }, model_info: { id: 'claude' } },
        { model_name: 'titan', litellm_params: { model: 'bedrock/amazon.titan-embed-text-v2:0', ...own }, model_info: { id: 'titan', mode: 'embedding' } },
        { model_name: 'cohere', litellm_params: { model: 'bedrock/cohere.embed-english-v3', ...own }, model_info: { id: 'cohere', mode: 'embedding' } },
        { model_name: 'wrong-secret', litellm_params: { model: `bedrock/converse/${LLAMA}`, ...own, aws_secret_access_key: 'not-the-secret-at-all' }, model_info: { id: 'wrong-secret' } },
        { model_name: 'throttled', litellm_params: { model: 'bedrock/converse/mistral.mistral-large-2407-v1:0', ...own }, model_info: { id: 'throttled' } },
        // Tried in order: a throttled deployment first, then one that answers.
        { model_name: 'mixed', litellm_params: { model: 'bedrock/converse/mistral.mistral-small-2402-v1:0', ...own, order: 1 }, model_info: { id: 'mixed-throttled' } },
        { model_name: 'mixed', litellm_params: { model: `bedrock/converse/${LLAMA}`, ...own, order: 2 }, model_info: { id: 'mixed-llama' } },
      ],
      router_settings: { num_retries: 0, allowed_fails: 0 },
    },
    env: { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: SESSION, AWS_REGION: REGION },
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'none', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: 'none', maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await bedrock.close();
});

const weather = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('Converse (bedrock/converse/…)', () => {
  test('a chat: signed with the environment keys and session token, translated both ways', async () => {
    bedrock.reset();
    const answer = await openai.chat.completions.create({
      model: 'llama', max_tokens: 50, temperature: 0.2, stop: ['END'],
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello Bedrock' }],
    });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: Hello Bedrock');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.ok((answer.usage?.prompt_tokens ?? 0) > 0 && (answer.usage?.completion_tokens ?? 0) > 0);
    const seen = bedrock.requests[0]!;
    assert.equal(seen.path, '/model/meta.llama3-1-70b-instruct-v1%3A0/converse');
    assert.deepEqual(seen.body, {
      system: [{ text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ text: 'Hello Bedrock' }] }],
      inferenceConfig: { maxTokens: 50, temperature: 0.2, stopSequences: ['END'] },
    });
    assert.equal(seen.headers['x-amz-security-token'], SESSION);
  });

  test('a stream: the binary event stream becomes chat chunks, with usage', async () => {
    const stream = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'stream me please' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'fake reply to: stream me please');
    assert.equal(finish, 'stop');
    assert.ok((usage?.total_tokens ?? 0) > 0);
    assert.equal(bedrock.requests.at(-1)?.api, 'converse-stream');
  });

  test('tools round trip: toolConfig out, the call back, the result sent as toolResult', async () => {
    bedrock.behave(LLAMA, { toolCall: { name: 'get_weather', input: { city: 'Oslo' } } });
    const first = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [weather], tool_choice: 'auto' });
    const call = first.choices[0]?.message.tool_calls?.[0];
    assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(call?.type === 'function' ? call.function.name : undefined, 'get_weather');
    assert.deepEqual(JSON.parse(call?.type === 'function' ? call.function.arguments : '{}'), { city: 'Oslo' });
    assert.deepEqual(bedrock.requests.at(-1)?.body?.toolConfig, {
      tools: [{ toolSpec: { name: 'get_weather', description: 'Weather in a city', inputSchema: { json: weather.function.parameters } } }],
      toolChoice: { auto: {} },
    });

    bedrock.reset();
    bedrock.behave(LLAMA, { text: 'It is cold in Oslo.' });
    const second = await openai.chat.completions.create({
      model: 'llama', tools: [weather],
      messages: [{ role: 'user', content: 'Weather in Oslo?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: '-3 C and snowing' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of second) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'It is cold in Oslo.');
    const messages = bedrock.requests[0]?.body?.messages as Array<{ role: string; content: unknown[] }>;
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.deepEqual(messages[1]!.content, [{ toolUse: { toolUseId: 'tooluse_fake_1', name: 'get_weather', input: { city: 'Oslo' } } }]);
    assert.deepEqual(messages[2]!.content, [{ toolResult: { toolUseId: 'tooluse_fake_1', content: [{ text: '-3 C and snowing' }] } }]);
  });

  test('structured output: json_schema as a forced tool, its input the JSON content (JSON and stream)', async () => {
    bedrock.reset();
    bedrock.behave(LLAMA, { forcedToolInput: { city: 'Oslo', temperature: -3 } });
    const format = { type: 'json_schema' as const, json_schema: { name: 'weather', schema: { type: 'object', properties: { city: { type: 'string' }, temperature: { type: 'number' } } } } };
    const answer = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'Oslo weather as JSON' }], response_format: format });
    assert.deepEqual(JSON.parse(answer.choices[0]?.message.content ?? ''), { city: 'Oslo', temperature: -3 });
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    const toolConfig = bedrock.requests[0]?.body?.toolConfig as { toolChoice: unknown; tools: Array<{ toolSpec: { name: string } }> };
    assert.deepEqual(toolConfig.toolChoice, { tool: { name: toolConfig.tools[0]!.toolSpec.name } });
    const stream = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'again' }], response_format: format, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.deepEqual(JSON.parse(text), { city: 'Oslo', temperature: -3 });
  });

  test('/v1/messages on a Converse deployment: a streamed tool call in Anthropic\'s events', async () => {
    bedrock.reset();
    bedrock.behave(LLAMA, { text: 'Let me look.', toolCall: { name: 'get_weather', input: { city: 'Bergen' } } });
    const stream = anthropic.messages.stream({
      model: 'llama', max_tokens: 100, messages: [{ role: 'user', content: 'Weather in Bergen?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    const message = await stream.finalMessage();
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(message.content.map((b) => b.type), ['text', 'tool_use']);
    assert.deepEqual(message.content[1]?.type === 'tool_use' ? message.content[1].input : undefined, { city: 'Bergen' });
    assert.equal(bedrock.requests[0]?.body?.inferenceConfig && (bedrock.requests[0].body.inferenceConfig as { maxTokens: number }).maxTokens, 100);
  });
});

test('a large body (sent in pieces, never joined) is signed over exactly the bytes sent', async () => {
  bedrock.reset();
  bedrock.behave(LLAMA, { text: 'big body signed' });
  const big = 'lorem ipsum é '.repeat(90_000); // ~1.3 MB: past the gateway's 1 MB large-body threshold
  const answer = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: big }] });
  assert.equal(answer.choices[0]?.message.content, 'big body signed');
  assert.equal(((bedrock.requests[0]?.body?.messages as Array<{ content: Array<{ text: string }> }>)[0]!.content[0]!.text).length, big.length);
});

test('the Responses API on a Converse deployment, through chat', async () => {
  bedrock.reset();
  const response = await openai.responses.create({ model: 'llama', input: 'Respond please', instructions: 'Short.' });
  assert.equal(response.output_text, 'fake reply to: Respond please');
  assert.deepEqual(bedrock.requests[0]?.body?.system, [{ text: 'Short.' }]);
});

describe('Claude through invoke (bedrock/anthropic.claude-…)', () => {
  test('/v1/messages is Claude\'s own body on Bedrock: anthropic_version in the body, no model, betas as anthropic_beta', async () => {
    bedrock.reset();
    const stream = anthropic.messages.stream(
      { model: 'claude', max_tokens: 64, system: 'terse', messages: [{ role: 'user', content: 'Hi Claude' }] },
      { headers: { 'anthropic-beta': 'token-efficient-tools-2025-02-19' } },
    );
    const message = await stream.finalMessage();
    assert.deepEqual(message.content, [{ type: 'text', text: 'fake reply to: Hi Claude' }]);
    const seen = bedrock.requests[0]!;
    assert.equal(seen.api, 'invoke-with-response-stream');
    assert.equal(seen.path, '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke-with-response-stream');
    assert.deepEqual(seen.body, {
      anthropic_version: 'bedrock-2023-05-31', anthropic_beta: ['token-efficient-tools-2025-02-19'], max_tokens: 64, system: 'terse',
      messages: [{ role: 'user', content: 'Hi Claude' }],
    });
  });

  test('the OpenAI API on Claude: translated to Messages, answered through invoke', async () => {
    bedrock.reset();
    const answer = await openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi from OpenAI' }], user: 'someone' });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: Hi from OpenAI');
    assert.equal(bedrock.requests[0]?.api, 'invoke');
    assert.equal(bedrock.requests[0]?.body?.metadata, undefined, 'Bedrock refuses metadata');
  });
});

describe('embeddings', () => {
  test('Titan: one call per input, in order; the SDK\'s base64 default decoded', async () => {
    bedrock.reset();
    const answer = await openai.embeddings.create({ model: 'titan', input: ['one', 'three'], dimensions: 256 });
    assert.deepEqual(answer.data.map((d) => [d.index, d.embedding.length, d.embedding[0]]), [[0, 256, 3], [1, 256, 5]]);
    assert.equal(answer.usage.prompt_tokens, 3);
    assert.deepEqual(bedrock.requests.map((r) => r.body).sort((a, b) => String(a?.inputText).localeCompare(String(b?.inputText))), [
      { inputText: 'one', dimensions: 256 }, { inputText: 'three', dimensions: 256 },
    ]);
  });

  test('Cohere: one call with every text, input_type search_document by default', async () => {
    bedrock.reset();
    const answer = await openai.embeddings.create({ model: 'cohere', input: ['alpha', 'beta'], encoding_format: 'float' });
    assert.deepEqual(answer.data.map((d) => d.embedding[0]), [5, 4]);
    assert.equal(answer.usage.prompt_tokens, 3, 'from x-amzn-bedrock-input-token-count');
    assert.deepEqual(bedrock.requests[0]?.body, { texts: ['alpha', 'beta'], input_type: 'search_document' });
  });
});

describe('errors', () => {
  test('a wrong secret: AWS\'s 403 and message reach the caller, never the secret', async () => {
    const error = await openai.chat.completions.create({ model: 'wrong-secret', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 403);
    assert.match(error.message, /signature we calculated does not match/);
    assert.equal((error.error as { code?: string }).code, 'InvalidSignatureException');
    assert.doesNotMatch(JSON.stringify(error.error) + gateway.output(), /not-the-secret-at-all|fake\/bedrock\+secret|IQoJb3JpZ2luX2VjE/);
  });

  test('ThrottlingException is a 429; a ValidationException is the client\'s 400 and does not count against the deployment', async () => {
    bedrock.behave('mistral.mistral-large-2407-v1:0', { error: { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' } });
    const throttled = await openai.chat.completions.create({ model: 'throttled', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(throttled instanceof APIError);
    assert.equal(throttled.status, 429);
    assert.match(throttled.message, /Too many requests/);

    // Converse refuses a conversation that starts with the assistant, in Anthropic's shape here.
    const refused = await anthropic.messages.create({ model: 'llama', max_tokens: 10, messages: [{ role: 'assistant', content: 'I start' }] }).catch((e: unknown) => e);
    assert.ok(refused instanceof Anthropic.APIError);
    assert.equal(refused.status, 400);
    assert.match(refused.message, /must start with a user message/);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(metrics, /switchyard_upstream_requests_total\{[^}]*deployment="llama"[^}]*outcome="bad_request"[^}]*\} 1/);
    assert.match(metrics, /switchyard_upstream_requests_total\{[^}]*deployment="throttled"[^}]*outcome="rate_limited"[^}]*\} 1/);
  });

  test('routing: a throttled deployment is retried on the next one of its group and cooled down', async () => {
    bedrock.reset();
    bedrock.behave('mistral.mistral-small-2402-v1:0', { error: { status: 429, type: 'ThrottlingException', message: 'Too many tokens, please wait before trying again.' } });
    for (let i = 0; i < 4; i++) {
      const params = { model: 'mixed', messages: [{ role: 'user' as const, content: `try ${i}` }], num_retries: 1 };
      const answer = await openai.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming);
      assert.equal(answer.choices[0]?.message.content, `fake reply to: try ${i}`);
    }
    assert.deepEqual(bedrock.requests.map((r) => r.modelId), ['mistral.mistral-small-2402-v1:0', LLAMA, LLAMA, LLAMA, LLAMA], 'after one 429 it sits out');
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(metrics, /switchyard_deployment_cooldowns_total\{[^}]*deployment="mixed-throttled"[^}]*reason="rate_limited"[^}]*\} 1/);
  });

  test('a mid-stream exception ends the stream with the upstream\'s message', async () => {
    bedrock.behave(LLAMA, { exceptionAfterEvents: { count: 3, type: 'modelStreamErrorException', message: 'The model stopped unexpectedly' } });
    const stream = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'a b c d e f' }], stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    assert.ok(text.length > 0, 'the events before the exception arrive');
    assert.match(String((error as Error).message), /model stopped unexpectedly/);
  });
});

test('health probes: healthy deployments pass, a wrong secret is unhealthy with AWS\'s reason', async () => {
  bedrock.reset();
  const report = (await (await fetch(`${gateway.url}/health`)).json()) as { healthy_endpoints: Array<{ model_id: string }>; unhealthy_endpoints: Array<{ model_id: string; error?: string }> };
  assert.deepEqual(report.healthy_endpoints.map((e) => e.model_id).sort(), ['claude', 'cohere', 'llama', 'mixed-llama', 'mixed-throttled', 'throttled', 'titan']);
  const wrong = report.unhealthy_endpoints.find((e) => e.model_id === 'wrong-secret');
  assert.match(wrong?.error ?? '', /signature we calculated does not match/);
  assert.ok(bedrock.requests.some((r) => r.api === 'invoke' && r.modelId === CLAUDE), 'the Claude probe went through invoke');
});
