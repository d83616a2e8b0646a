import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { fakeTokenCount } from '../support/fake-responses-api.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * Token counting with the Anthropic SDK as the caller: `messages.countTokens` (and the beta
 * client's, which adds `?beta=true`) forwarded to an `anthropic/` group, counted by the gateway
 * for an `openai/` group; errors in Anthropic's shape; and LiteLLM's `/utils/token_counter`.
 */

const MASTER_KEY = 'sk-count-suite-master-9';
let upstream: FakeUpstream;
let gateway: GatewayProcess;
let anthropic: Anthropic;

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-count-up', api_base: upstream.url, api_key: 'sk-ant-count-key-1' } },
        { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream.url}/v1`, api_key: 'sk-openai-count-key-1' } },
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 0 },
    },
  });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: MASTER_KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const QUESTION = 'How many tokens is this sentence, counted by the model that will read it?';
const SYSTEM = 'You count tokens.';

describe('messages.countTokens on an anthropic/ group: forwarded', () => {
  test('the upstream counts; the SDK gets its number; the caller\'s key never leaves', async () => {
    const since = upstream.requests.length;
    const result = await anthropic.messages.countTokens({ model: 'claude', system: SYSTEM, messages: [{ role: 'user', content: QUESTION }] });
    const [seen] = upstream.requests.slice(since);
    assert.ok(seen);
    assert.equal(seen.path, '/v1/messages/count_tokens');
    assert.equal(seen.model, 'claude-count-up');
    assert.equal(seen.headers['x-api-key'], 'sk-ant-count-key-1');
    assert.equal(result.input_tokens, fakeTokenCount(seen.body!));
  });

  // Claude Code calls `/v1/messages/count_tokens?beta=true` (SDK 1.x no longer adds the query itself).
  test('the beta client with ?beta=true: the query and its anthropic-beta header reach the upstream', async () => {
    const since = upstream.requests.length;
    const result = await anthropic.beta.messages.countTokens(
      { model: 'claude', messages: [{ role: 'user', content: QUESTION }], betas: ['token-counting-2024-11-01'] },
      { query: { beta: 'true' } },
    );
    const [seen] = upstream.requests.slice(since);
    assert.equal(seen?.query, '?beta=true');
    assert.match(String(seen?.headers['anthropic-beta']), /token-counting-2024-11-01/);
    assert.equal(result.input_tokens, fakeTokenCount(seen!.body!));
  });

  test('a field the real API refuses: its 400, in Anthropic\'s shape', async () => {
    await assert.rejects(
      anthropic.messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: QUESTION }], max_tokens: 10 } as Anthropic.MessageCountTokensParams),
      (error: unknown) => error instanceof Anthropic.BadRequestError && /max_tokens/.test(error.message) && (error.error as { type?: string }).type === 'error',
    );
  });
});

describe('messages.countTokens on an openai/ group: counted by the gateway', () => {
  test('the count is the model\'s own encoding of the request (o200k_base for gpt-4o); no upstream call', async () => {
    const since = upstream.requests.length;
    const result = await anthropic.messages.countTokens({ model: 'gpt', system: SYSTEM, messages: [{ role: 'user', content: QUESTION }] });
    assert.equal(upstream.requests.length, since, 'nothing was sent upstream');
    // OpenAI's chat accounting: 3 to prime the answer, and per message 3 + the role + the content.
    const expected = 3 + (3 + encode('system').length + encode(SYSTEM).length) + (3 + encode('user').length + encode(QUESTION).length);
    assert.equal(result.input_tokens, expected);
  });

  test('more text, more tokens; tools count too', async () => {
    const short = await anthropic.messages.countTokens({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] });
    const long = await anthropic.messages.countTokens({ model: 'gpt', messages: [{ role: 'user', content: 'hi '.repeat(200) }] });
    const withTool = await anthropic.messages.countTokens({
      model: 'gpt', messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'lookup', description: 'Looks something up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
    });
    assert.ok(long.input_tokens > short.input_tokens + 150);
    assert.ok(withTool.input_tokens > short.input_tokens + 10);
  });

  test('errors in Anthropic\'s shape: an unknown model, a bad body', async () => {
    await assert.rejects(
      anthropic.messages.countTokens({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      (error: unknown) => error instanceof Anthropic.NotFoundError && (error.error as { error?: { type?: string } }).error?.type === 'not_found_error',
    );
    const response = await fetch(`${gateway.url}/v1/messages/count_tokens`, {
      method: 'POST', headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt', messages: 'not a list' }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /^messages/);
    assert.equal(response.headers.get('request-id'), response.headers.get('x-request-id'));
  });
});

describe('/utils/token_counter (LiteLLM)', () => {
  test('{model, messages} → total_tokens and the model used', async () => {
    const response = await fetch(`${gateway.url}/utils/token_counter`, {
      method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: QUESTION }] }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(body, { total_tokens: 3 + 3 + encode('user').length + encode(QUESTION).length, request_model: 'gpt', model_used: 'openai/gpt-4o', tokenizer_type: 'openai_tokenizer' });
  });

  test('the key is checked as on every model route', async () => {
    const response = await fetch(`${gateway.url}/utils/token_counter`, { method: 'POST', body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'x' }] }) });
    assert.equal(response.status, 401);
  });
});
