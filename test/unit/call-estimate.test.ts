import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigText } from '../../src/config/index.js';
import { PriceBook } from '../../src/cost/index.js';
import { resolvePrices } from '../../src/cost/primary.js';
import { CallEstimator, DEFAULT_OUTPUT_LIMIT } from '../../src/server/call-estimate.js';
import { countText } from '../../src/providers/index.js';

/** A call's maximum cost, reserved against budgets before it is sent (src/server/call-estimate.ts). */

const YAML = `
model_list:
  - model_name: cheap
    litellm_params: { model: openai/cheap-1, api_key: x }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, max_output_tokens: 1000 }
  - model_name: cheap
    litellm_params: { model: openai/cheap-2, api_key: x }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000004 }
  - model_name: dear
    litellm_params: { model: openai/dear-1, api_key: x }
    model_info: { input_cost_per_token: 0.00001, output_cost_per_token: 0.0001, max_output_tokens: 500 }
  - model_name: alone
    litellm_params: { model: openai/alone-1, api_key: x }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
router_settings:
  fallbacks: [{ cheap: [dear] }]
`;

function estimator(): CallEstimator {
  const loaded = loadConfigText(YAML, null);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
  const config = loaded.value.config;
  return new CallEstimator(config, new PriceBook(resolvePrices(config.deployments)));
}

const messages = [{ role: 'user', content: 'How many tokens is this? Ünïcødé ✓ 日本語' }];
// The bound: the input's UTF-8 bytes, at or above any byte-level tokenizer's count.
const input = Buffer.byteLength(JSON.stringify(messages), 'utf8');

test('the input bound is the UTF-8 bytes, at least what OpenAI\'s tokenizers count', () => {
  assert.ok(input > JSON.stringify(messages).length, 'bytes, not characters');
  for (const encoding of ['o200k_base', 'cl100k_base'] as const) assert.ok(countText(JSON.stringify(messages), encoding) <= input, encoding);
});

test('max_tokens × n at the dearest deployment reachable, fallbacks included', () => {
  const e = estimator().estimate('chat', { model: 'cheap', messages, max_tokens: 100, n: 2 }, true);
  assert.equal(e.tokens, Math.ceil(JSON.stringify(messages).length / 4), 'tpm counts a rough estimate until the call settles');
  // dear (a fallback of cheap): 200 output tokens at $1e-4, input at $1e-5.
  assert.ok(Math.abs(e.maxCostUsd - (input * 1e-5 + 200 * 1e-4)) < 1e-12, String(e.maxCostUsd));
});

test('without max_tokens: each deployment\'s output limit, else 32,768', () => {
  const alone = estimator().estimate('chat', { model: 'alone', messages }, true);
  assert.ok(Math.abs(alone.maxCostUsd - (input * 1e-6 + DEFAULT_OUTPUT_LIMIT * 2e-6)) < 1e-12, String(alone.maxCostUsd));
  // cheap-2 (no limit: 32,768 × 4e-6 = $0.13) is dearer than dear (500 × 1e-4 = $0.05).
  const cheap = estimator().estimate('chat', { model: 'cheap', messages, max_completion_tokens: null }, true);
  assert.ok(Math.abs(cheap.maxCostUsd - (input * 1e-6 + DEFAULT_OUTPUT_LIMIT * 4e-6)) < 1e-12, String(cheap.maxCostUsd));
});

test('no budget: a rough token count for tpm, no cost', () => {
  const e = estimator().estimate('chat', { model: 'cheap', messages, max_tokens: 100 }, false);
  assert.equal(e.maxCostUsd, 0);
  assert.equal(e.tokens, Math.ceil(JSON.stringify(messages).length / 4));
});

test('an unknown model group or a body of the wrong shape costs nothing and never throws', () => {
  assert.equal(estimator().estimate('chat', { model: 'nobody', messages }, true).maxCostUsd, 0);
  assert.equal(estimator().estimate('messages', { model: 'cheap', messages: 'not a list', max_tokens: 'x' }, true).maxCostUsd > 0, true);
  const embedding = estimator().estimate('embedding', { model: 'alone', input: ['a', 'b'] }, true);
  assert.ok(Math.abs(embedding.maxCostUsd - Buffer.byteLength('["a","b"]') * 1e-6) < 1e-12, 'embeddings: input only');
});
