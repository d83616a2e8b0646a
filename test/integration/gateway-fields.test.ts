import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * LiteLLM's gateway-only body fields, sent as LiteLLM users send them (extra body fields on the
 * official SDKs). The fake upstream refuses any field the real API does not know, so a request
 * that reaches it and is answered 200 had every such field taken out; each test also looks at
 * what it received. The ones with a meaning here (mock_response, num_retries, fallbacks, tags)
 * are checked for their effect.
 */

const MASTER_KEY = 'sk-fields-suite-master-3';

/** Every LiteLLM-only field the issue lists, with values as LiteLLM users write them. */
const LITELLM_FIELDS = {
  litellm_session_id: 'session-42',
  context_window_fallback_dict: { 'gpt-small': 'gpt-large' },
  caching: true,
  cache: { 'no-cache': true },
  user_api_key: 'sk-virtual-key-should-not-travel',
  user_api_key_alias: 'team-a',
  litellm_trace_id: 'trace-7',
};
const LITELLM_METADATA = { tags: ['team:search', 'env:test'], trace_id: 'trace-1', generation_name: 'summarise', user_api_key_team_id: 'team-9' };

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  upstream = await startFakeUpstream();
  const gpt = (name: string, model: string) => ({ model_name: name, litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-up-1' } });
  const claude = (name: string, model: string) => ({ model_name: name, litellm_params: { model: `anthropic/${model}`, api_base: upstream.url, api_key: 'sk-ant-up-1' } });
  gateway = await startGateway({
    config: {
      model_list: [gpt('gpt', 'gpt-up'), gpt('gpt-failing', 'gpt-failing-a'), gpt('gpt-failing', 'gpt-failing-b'), gpt('gpt-backup', 'gpt-backup-up'), claude('claude', 'claude-up')],
      general_settings: { master_key: MASTER_KEY },
      // Failures in these tests must not cool deployments down between tests.
      router_settings: { num_retries: 3, allowed_fails: 1000 },
    },
    env: { LITELLM_LOG: 'DEBUG' },
  });
  upstream.behave((r) => r.model?.startsWith('gpt-failing') === true, { status: 500, errorMessage: 'upstream is down' });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: MASTER_KEY, maxRetries: 0 });
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

/** The body as sent, with the extra fields an SDK passes through. */
function chatBody(model: string, extra: Record<string, unknown> = {}): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  return { model, messages: [{ role: 'user', content: 'hello' }], ...extra } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
}

describe('gateway-only fields never reach the provider', () => {
  test('OpenAI API → openai/: every LiteLLM field and LiteLLM metadata are taken out; the call succeeds', async () => {
    const answer = await openai.chat.completions.create(chatBody('gpt', { ...LITELLM_FIELDS, num_retries: 1, fallbacks: ['gpt-backup'], metadata: LITELLM_METADATA, seed: 7 }));
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: hello');
    const body = received('gpt-up').body ?? {};
    assert.deepEqual(Object.keys(body).sort(), ['messages', 'model', 'seed']);
  });

  test('OpenAI\'s own metadata with store: true still reaches OpenAI, without LiteLLM\'s keys', async () => {
    await openai.chat.completions.create(chatBody('gpt', { store: true, metadata: { purpose: 'eval', run: '12', ...LITELLM_METADATA } }));
    const body = received('gpt-up').body ?? {};
    assert.deepEqual(body.metadata, { purpose: 'eval', run: '12' });
    assert.equal(body.store, true);
  });

  test('OpenAI API → anthropic/: the same fields are taken out before translation', async () => {
    await openai.chat.completions.create(chatBody('claude', { ...LITELLM_FIELDS, metadata: LITELLM_METADATA, user: 'u-1' }));
    const body = received('claude-up').body ?? {};
    assert.deepEqual(body.metadata, { user_id: 'u-1' });
    for (const key of Object.keys(LITELLM_FIELDS)) assert.equal(key in body, false, key);
  });

  test('/v1/messages → native anthropic/: LiteLLM fields out, metadata down to user_id', async () => {
    const params = { model: 'claude', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }], ...LITELLM_FIELDS, metadata: { user_id: 'u-2', ...LITELLM_METADATA } };
    const message = await anthropic.messages.create(params as Anthropic.MessageCreateParamsNonStreaming);
    assert.equal(message.type, 'message');
    const body = received('claude-up').body ?? {};
    assert.deepEqual(Object.keys(body).sort(), ['max_tokens', 'messages', 'metadata', 'model']);
    assert.deepEqual(body.metadata, { user_id: 'u-2' });
  });

  test('a field the provider does not know, sent by the client, is still the provider\'s to refuse', async () => {
    await assert.rejects(openai.chat.completions.create(chatBody('gpt', { not_an_openai_field: 1 })), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.match(error.message, /Unrecognized request argument supplied: not_an_openai_field/);
      return true;
    });
  });

  test('tags (top level and metadata.tags) are in the request\'s log line; the fields taken out in a debug line', async () => {
    const answer = await openai.chat.completions.create(chatBody('gpt', { tags: ['batch'], metadata: { tags: ['team:search'] }, litellm_session_id: 's' })).withResponse();
    const id = answer.response.headers.get('x-request-id');
    const line = await gateway.waitForLog((l) => l.msg === 'request' && l.request_id === id);
    assert.deepEqual(line.tags, ['batch', 'team:search']);
    const debug = await gateway.waitForLog((l) => l.request_id === id && Array.isArray(l.fields));
    assert.deepEqual([...(debug.fields as string[])].sort(), ['litellm_session_id', 'metadata', 'tags']);
  });

  test('a gateway field of the wrong shape is a 400 naming it, before any call', async () => {
    const before = upstream.requests.length;
    await assert.rejects(openai.chat.completions.create(chatBody('gpt', { num_retries: -1 })), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal((error.error as { param?: string }).param, 'num_retries');
      return true;
    });
    assert.equal(upstream.requests.length, before);
  });
});

describe('gateway-only fields that are honoured', () => {
  test('mock_response answers without any upstream call: JSON and stream, on both APIs', async () => {
    const before = upstream.requests.length;
    const json = await openai.chat.completions.create(chatBody('gpt', { mock_response: 'It is mocked.' }));
    assert.equal(json.choices[0]?.message.content, 'It is mocked.');
    const stream = await openai.chat.completions.create({ ...chatBody('gpt', { mock_response: 'Streamed mock here' }), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'Streamed mock here');
    const message = await anthropic.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], mock_response: 'Claude mock' } as Anthropic.MessageCreateParamsNonStreaming);
    assert.deepEqual(message.content, [{ type: 'text', text: 'Claude mock' }]);
    const events = anthropic.messages.stream({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], mock_response: 'Claude streamed mock' } as Anthropic.MessageStreamParams);
    const final = await events.finalMessage();
    assert.deepEqual(final.content, [{ type: 'text', text: 'Claude streamed mock' }]);
    assert.equal(upstream.requests.length, before, 'no upstream call at all');
  });

  test('num_retries: the request\'s own count beats the config\'s (3)', async () => {
    for (const retries of [0, 1]) {
      const before = upstream.count(undefined, '/chat/completions');
      await assert.rejects(openai.chat.completions.create(chatBody('gpt-failing', { num_retries: retries })), OpenAI.InternalServerError);
      assert.equal(upstream.count(undefined, '/chat/completions') - before, retries + 1);
    }
  });

  test('fallbacks: the request\'s list is tried after its group fails; disable_fallbacks turns them off', async () => {
    const answer = await openai.chat.completions.create(chatBody('gpt-failing', { num_retries: 0, fallbacks: ['gpt-backup'] })).withResponse();
    assert.equal(answer.data.choices[0]?.message.content, 'fake reply to: hello');
    assert.equal(answer.response.headers.get('x-litellm-model-group'), 'gpt-backup');
    assert.equal(answer.response.headers.get('x-litellm-attempted-fallbacks'), '1');
    await assert.rejects(openai.chat.completions.create(chatBody('gpt-failing', { num_retries: 0, fallbacks: ['gpt-backup'], disable_fallbacks: true })), OpenAI.InternalServerError);
  });
});
