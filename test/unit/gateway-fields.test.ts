import assert from 'node:assert/strict';
import { test } from 'node:test';
import { takeGatewayFields, type GatewayOptions } from '../../src/protocol/index.js';

/** LiteLLM's gateway-only body fields, taken out and read (protocol/gateway-fields.ts). */

function take(body: Record<string, unknown>, style: 'openai' | 'anthropic' = 'openai'): { body: Record<string, unknown>; options: GatewayOptions } {
  const result = takeGatewayFields(body, style);
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problem));
  return result.value;
}

test('a body without gateway fields is the same object, with no options', () => {
  const body = { model: 'm', messages: [], temperature: 1 };
  const out = take(body);
  assert.equal(out.body, body);
  assert.deepEqual(out.options.consumed, []);
});

test('every gateway field is taken out, the original left as it was, and the honoured ones read', () => {
  const body = {
    model: 'm', messages: [], seed: 1,
    mock_response: 'hi', num_retries: 0, fallbacks: ['b', { model: 'c', messages: [] }], disable_fallbacks: false, tags: ['x'],
    drop_params: true, additional_drop_params: ['seed'], litellm_session_id: 's', context_window_fallback_dict: {}, caching: true, cache: {},
    user_api_key_alias: 'a', 'no-log': true,
  };
  const before = structuredClone(body);
  const { body: out, options } = take(body);
  assert.deepEqual(out, { model: 'm', messages: [], seed: 1 });
  assert.deepEqual(body, before, 'the request as parsed is not changed');
  assert.equal(options.mockResponse, 'hi');
  assert.equal(options.numRetries, 0);
  assert.deepEqual(options.fallbacks, ['b', 'c']);
  assert.equal(options.dropParams, true);
  assert.deepEqual(options.additionalDropParams, ['seed']);
  assert.deepEqual(options.tags, ['x']);
  assert.equal(options.consumed.length, 13);
});

test('OpenAI metadata: kept only with store: true, as string values without LiteLLM\'s keys', () => {
  const metadata = { purpose: 'eval', tags: ['t'], trace_id: 'tr', count: 3, user_api_key_hash: 'h' };
  assert.deepEqual(take({ model: 'm', store: true, metadata }).body.metadata, { purpose: 'eval' });
  assert.equal('metadata' in take({ model: 'm', metadata }).body, false);
  assert.equal('metadata' in take({ model: 'm', store: true, metadata: { tags: ['t'] } }).body, false);
  assert.deepEqual(take({ model: 'm', metadata }).options.tags, ['t']);
  const clean = { a: 'b' };
  assert.equal(take({ model: 'm', store: true, metadata: clean }).body.metadata, clean, 'valid OpenAI metadata passes as it is');
});

test('Anthropic metadata: only user_id goes on', () => {
  assert.deepEqual(take({ model: 'm', metadata: { user_id: 'u', tags: ['t'], generation_name: 'g' } }, 'anthropic').body.metadata, { user_id: 'u' });
  assert.equal('metadata' in take({ model: 'm', metadata: { trace_id: 'x' } }, 'anthropic').body, false);
});

test('a gateway field of the wrong shape is a problem naming it, in the API\'s own path style', () => {
  const cases: Array<[Record<string, unknown>, 'openai' | 'anthropic', string]> = [
    [{ num_retries: 11 }, 'openai', 'num_retries'],
    [{ num_retries: 1.5 }, 'openai', 'num_retries'],
    [{ mock_response: 3 }, 'openai', 'mock_response'],
    [{ fallbacks: 'b' }, 'openai', 'fallbacks'],
    [{ fallbacks: [7] }, 'openai', 'fallbacks[0]'],
    [{ tags: [1] }, 'openai', 'tags[0]'],
    [{ metadata: { tags: 'x' } }, 'anthropic', 'metadata.tags'],
    [{ additional_drop_params: 'seed' }, 'openai', 'additional_drop_params'],
  ];
  for (const [extra, style, param] of cases) {
    const result = takeGatewayFields({ model: 'm', ...extra }, style);
    assert.ok(!result.ok, JSON.stringify(extra));
    assert.equal(result.problem.param, param, JSON.stringify(extra));
  }
});
