import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';

/**
 * LiteLLM's drop_params with the openai SDK as caller: per deployment (`litellm_params.drop_params`,
 * `additional_drop_params`) and per request. What cannot be sent is dropped instead of refused,
 * and a debug log line names what was dropped for which deployment (names only, never values).
 */

const MASTER_KEY = 'sk-drop-suite-master-5';
let upstream: FakeUpstream;
let gateway: GatewayProcess;
let openai: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-strict', api_base: upstream.url, api_key: 'sk-ant-1' } },
        { model_name: 'claude-drop', litellm_params: { model: 'anthropic/claude-lenient', api_base: upstream.url, api_key: 'sk-ant-1', drop_params: true } },
        { model_name: 'gpt-lean', litellm_params: { model: 'openai/gpt-lean-up', api_base: `${upstream.url}/v1`, api_key: 'sk-up-1', additional_drop_params: ['temperature'] } },
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 0 },
    },
    env: { LITELLM_LOG: 'DEBUG' },
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

function received(model: string): RecordedRequest {
  const found = upstream.requests.filter((r) => r.model === model).at(-1);
  assert.ok(found, `the upstream received a request for ${model}`);
  return found;
}

async function droppedLine(requestId: string | null): Promise<LogLine> {
  return gateway.waitForLog((l) => l.request_id === requestId && Array.isArray(l.dropped_params), 5_000, 'the drop_params debug line');
}

const unsupported = { n: 2, logprobs: true } as const;
const ask = (model: string, extra: object = {}) =>
  openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], ...extra } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming).withResponse();

test('without drop_params, what Claude cannot do is refused with a 400 naming it', async () => {
  await assert.rejects(ask('claude', unsupported), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal((error.error as { param?: string }).param, 'n');
    return true;
  });
});

test('drop_params on the deployment: n and logprobs are dropped, the call is answered, the debug log says what', async () => {
  const { data, response } = await ask('claude-drop', { ...unsupported, seed: 3 });
  assert.equal(data.choices.length, 1);
  const body = received('claude-lenient').body ?? {};
  for (const key of ['n', 'logprobs', 'seed']) assert.equal(key in body, false, key);
  const line = await droppedLine(response.headers.get('x-request-id'));
  assert.deepEqual(line.dropped_params, ['n', 'logprobs', 'seed']);
  assert.equal(line.model_group, 'claude-drop');
  assert.equal(line.level, 'debug');
});

test('drop_params in the request does the same for a deployment without it', async () => {
  const { response } = await ask('claude', { ...unsupported, drop_params: true });
  assert.equal(response.status, 200);
  const body = received('claude-strict').body ?? {};
  assert.equal('n' in body || 'logprobs' in body || 'drop_params' in body, false);
  assert.deepEqual((await droppedLine(response.headers.get('x-request-id'))).dropped_params, ['n', 'logprobs']);
});

test('additional_drop_params: the deployment\'s fields and the request\'s are never sent', async () => {
  const { response } = await ask('gpt-lean', { temperature: 0.2, top_p: 0.5, seed: 1, additional_drop_params: ['seed'] });
  const body = received('gpt-lean-up').body ?? {};
  assert.equal(body.top_p, 0.5);
  assert.equal('temperature' in body, false);
  assert.equal('seed' in body, false);
  assert.deepEqual((await droppedLine(response.headers.get('x-request-id'))).dropped_params, ['temperature', 'seed']);
});
