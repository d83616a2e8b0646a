import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfigText } from '../../src/config/index.js';
import type { GatewayError } from '../../src/core/index.js';
import { buildDeploymentClients } from '../../src/providers/index.js';
import { bedrockErrorFromResponse } from '../../src/providers/bedrock/bedrock-errors.js';
import type { UpstreamResponse } from '../../src/providers/http-pool.js';
import { classifyFailure } from '../../src/router/failure-kind.js';
import { bedrockRoute } from '../../src/providers/bedrock/bedrock-client.js';
import { ConverseStream } from '../../src/providers/bedrock/bedrock-stream.js';
import { converseToMessage, messagesToConverse } from '../../src/providers/bedrock/converse-mapping.js';

/** Bedrock's Converse ⇄ Anthropic Messages, and which API a model id goes to. */

const options = () => ({ dropUnsupported: false, dropped: [] as string[] });

describe('bedrock routes', () => {
  test('Claude through invoke unless converse/ says otherwise; everything else through Converse', () => {
    assert.deepEqual(bedrockRoute('anthropic.claude-3-5-sonnet-20240620-v1:0'), { api: 'invoke', modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0' });
    assert.deepEqual(bedrockRoute('us.anthropic.claude-3-7-sonnet-20250219-v1:0'), { api: 'invoke', modelId: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0' });
    assert.deepEqual(bedrockRoute('converse/anthropic.claude-3-haiku-20240307-v1:0'), { api: 'converse', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' });
    assert.deepEqual(bedrockRoute('invoke/meta.llama3-1-8b-instruct-v1:0'), { api: 'converse', modelId: 'meta.llama3-1-8b-instruct-v1:0' });
    assert.deepEqual(bedrockRoute('amazon.nova-pro-v1:0'), { api: 'converse', modelId: 'amazon.nova-pro-v1:0' });
  });
});

describe('Messages → Converse', () => {
  test('blocks, images, tool results, cache points, thinking and model fields', () => {
    const body = messagesToConverse({
      model: 'x', max_tokens: 10, top_k: 5, stream: true, metadata: { user_id: 'u' },
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'boom', is_error: true }] },
      ],
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'f' },
    }, options());
    assert.deepEqual(body, {
      system: [{ text: 'sys' }, { cachePoint: { type: 'default' } }],
      messages: [
        { role: 'user', content: [{ text: 'look' }, { image: { format: 'png', source: { bytes: 'iVBOR' } } }] },
        { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } }, { toolUse: { toolUseId: 't1', name: 'f', input: { a: 1 } } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'boom' }], status: 'error' } }] },
      ],
      inferenceConfig: { maxTokens: 10 },
      additionalModelRequestFields: { top_k: 5 },
      toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }], toolChoice: { tool: { name: 'f' } } },
    });
  });

  test('an image by URL and an unknown field are the client\'s 400 naming the field; drop_params drops the field', () => {
    const byUrl = () => messagesToConverse({ model: 'x', max_tokens: 1, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.invalid/a.png' } }] }] }, options());
    assert.throws(byUrl, (e: GatewayError) => e.status === 400 && e.origin === 'gateway' && e.param === 'messages[0].content[0].source');
    const unknown = { model: 'x', max_tokens: 1, messages: [{ role: 'user' as const, content: 'hi' }], frobnicate: true };
    assert.throws(() => messagesToConverse(unknown, options()), (e: GatewayError) => e.status === 400 && e.param === 'frobnicate');
    const dropping = { dropUnsupported: true, dropped: [] as string[] };
    assert.equal(messagesToConverse(unknown, dropping).frobnicate, undefined);
    assert.deepEqual(dropping.dropped, ['frobnicate']);
  });
});

describe('Converse → Messages', () => {
  test('an answer with a tool call, guardrail stop as refusal, cache usage', () => {
    const message = converseToMessage({
      output: { message: { role: 'assistant', content: [{ text: 'ok' }, { toolUse: { toolUseId: 't', name: 'f', input: { q: 1 } } }] } },
      stopReason: 'guardrail_intervened',
      usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10, cacheReadInputTokens: 2 },
    }, 'model-a', 'msg_1', 'label');
    assert.deepEqual(message.content, [{ type: 'text', text: 'ok' }, { type: 'tool_use', id: 't', name: 'f', input: { q: 1 } }]);
    assert.equal(message.stop_reason, 'refusal');
    assert.deepEqual(message.usage, { input_tokens: 7, output_tokens: 3, cache_read_input_tokens: 2 });
  });

  test('a stream: text and tool blocks opened, deltas, stop and usage at metadata; incomplete without metadata', () => {
    const stream = new ConverseStream('m', 'msg_2');
    const message = (type: string, body: object) => ({ headers: { ':event-type': type, ':message-type': 'event' }, body: Buffer.from(JSON.stringify({ ...body, p: 'abc' })) });
    const events = [
      message('messageStart', { role: 'assistant' }),
      message('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
      message('contentBlockStop', { contentBlockIndex: 0 }),
      message('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't', name: 'f' } } }),
      message('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":' } } }),
      message('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '1}' } } }),
      message('contentBlockStop', { contentBlockIndex: 1 }),
      message('messageStop', { stopReason: 'tool_use' }),
    ].flatMap((m) => stream.push(m));
    assert.equal(stream.complete, false);
    const tail = stream.push(message('metadata', { usage: { inputTokens: 4, outputTokens: 2 } }));
    assert.equal(stream.complete, true);
    assert.deepEqual([...events, ...tail].map((e) => e.event), [
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    assert.deepEqual(JSON.parse(tail[0]!.data), { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 4, output_tokens: 2 } });
  });
});

describe('where a bedrock/ deployment goes and how it signs', () => {
  const load = (params: string, env: NodeJS.ProcessEnv = {}) => {
    const result = loadConfigText(`model_list:\n  - {model_name: m, litellm_params: {model: bedrock/amazon.nova-pro-v1:0${params}}}\n`, null, { env });
    assert.ok(result.ok, JSON.stringify(result));
    return buildDeploymentClients(result.value.config);
  };

  test('the deployment\'s keys beat the environment\'s as a pair; the named endpoint beats the regional one', () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token', AWS_REGION: 'us-west-2' };
    const own = load(', aws_access_key_id: AKIAOWN, aws_secret_access_key: own-secret, aws_region_name: eu-central-1', env);
    assert.deepEqual(own.problems, []);
    assert.equal(own.clients[0]!.apiBase, 'https://bedrock-runtime.eu-central-1.amazonaws.com');
    const fromEnv = load(', api_base: "http://127.0.0.1:9/prefix/"', { ...env, AWS_BEDROCK_RUNTIME_ENDPOINT: 'http://127.0.0.1:8' });
    assert.equal(fromEnv.clients[0]!.apiBase, 'http://127.0.0.1:9');
    const runtime = load(', api_base: "http://127.0.0.1:9", aws_bedrock_runtime_endpoint: "http://127.0.0.1:7"', env);
    assert.equal(runtime.clients[0]!.apiBase, 'http://127.0.0.1:7');
  });

  test('no keys or no region is a problem naming what is missing, not a call to anyone', () => {
    assert.match(load('', { AWS_REGION: 'us-east-1' }).problems[0]?.message ?? '', /needs both litellm_params\.aws_access_key_id and aws_secret_access_key/);
    assert.match(load(', aws_access_key_id: A, aws_secret_access_key: B').problems[0]?.message ?? '', /needs litellm_params\.aws_region_name/);
    assert.match(load(', aws_access_key_id: A', { AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' }).problems[0]?.message ?? '', /needs both/, 'a key id from the file is not paired with a secret from the environment');
  });
});

describe('Bedrock errors by name', () => {
  const answer = (status: number, kind: string, message: string): UpstreamResponse => ({
    statusCode: status,
    headers: { 'x-amzn-errortype': `${kind}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'content-type': 'application/json' },
    text: async () => JSON.stringify({ message }),
    [Symbol.asyncIterator]: () => { throw new Error('not read as a stream'); },
    abort: () => undefined,
  });

  test('the status decides, except where the name says more; AWS\'s name is the code', async () => {
    const cases: Array<[number, string, string, number]> = [
      [429, 'ThrottlingException', 'rate_limited', 429],
      [400, 'ValidationException', 'bad_request', 400],
      [400, 'ServiceQuotaExceededException', 'rate_limited', 429],
      [429, 'ModelNotReadyException', 'rate_limited', 429],
      [408, 'ModelTimeoutException', 'transient', 504],
      [424, 'ModelErrorException', 'transient', 502],
      [403, 'AccessDeniedException', 'deployment_broken', 403],
      [503, 'ServiceUnavailableException', 'transient', 502],
    ];
    for (const [status, kind, failure, sent] of cases) {
      const error = await bedrockErrorFromResponse(answer(status, kind, `${kind} happened`), 'deployment x');
      assert.deepEqual([classifyFailure(error), error.status, error.upstreamCode, error.origin], [failure, sent, kind, 'upstream'], kind);
      assert.match(error.message, new RegExp(`${kind} happened`));
    }
  });
});
