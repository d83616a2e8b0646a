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
type Kind = Parameters<CallEstimator['estimate']>[0];
/** The estimate of a body as a client sends it: its JSON text's bytes are what the worker received. */
const estimate = (kind: Kind, body: Record<string, unknown>, priced: boolean) => estimator().estimate(kind, body, bodyBytes(body), priced);
const bodyBytes = (body: unknown): number => Buffer.byteLength(JSON.stringify(body), 'utf8');

test('the input bound is the body\'s bytes: at least what OpenAI\'s tokenizers count of its text, however the JSON escapes it', () => {
  const text = messages[0]!.content;
  const plain = bodyBytes({ model: 'cheap', messages });
  // The same body with every non-ASCII character escaped, as some clients send it: longer, never shorter.
  const escaped = JSON.stringify({ model: 'cheap', messages }).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  assert.deepEqual(JSON.parse(escaped), { model: 'cheap', messages });
  for (const bytes of [plain, Buffer.byteLength(escaped)]) {
    assert.ok(bytes >= Buffer.byteLength(text, 'utf8'), 'the text\'s bytes are part of the body\'s');
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      assert.ok(countText(text, encoding) <= bytes, encoding);
      assert.ok(countText(JSON.stringify(messages), encoding) <= bytes, `${encoding}, the messages as JSON`);
    }
  }
  assert.ok(Buffer.byteLength(text, 'utf8') > text.length, 'bytes, not characters');
});

test('max_tokens × n at the dearest deployment reachable, fallbacks included', () => {
  const body = { model: 'cheap', messages, max_tokens: 100, n: 2 };
  const e = estimate('chat', body, true);
  assert.equal(e.tokens, Math.ceil(bodyBytes(body) / 4), 'tpm counts a rough estimate until the call settles');
  // dear (a fallback of cheap): 200 output tokens at $1e-4, input at $1e-5.
  assert.ok(Math.abs(e.maxCostUsd - (bodyBytes(body) * 1e-5 + 200 * 1e-4)) < 1e-12, String(e.maxCostUsd));
});

test('without max_tokens: each deployment\'s output limit, else 32,768', () => {
  const alone = estimate('chat', { model: 'alone', messages }, true);
  assert.ok(Math.abs(alone.maxCostUsd - (bodyBytes({ model: 'alone', messages }) * 1e-6 + DEFAULT_OUTPUT_LIMIT * 2e-6)) < 1e-12, String(alone.maxCostUsd));
  // cheap-2 (no limit: 32,768 × 4e-6 = $0.13) is dearer than dear (500 × 1e-4 = $0.05).
  const cheap = estimate('chat', { model: 'cheap', messages, max_completion_tokens: null }, true);
  assert.ok(Math.abs(cheap.maxCostUsd - (bodyBytes({ model: 'cheap', messages, max_completion_tokens: null }) * 1e-6 + DEFAULT_OUTPUT_LIMIT * 4e-6)) < 1e-12, String(cheap.maxCostUsd));
});

test('no budget: a rough token count for tpm, no cost', () => {
  const e = estimate('chat', { model: 'cheap', messages, max_tokens: 100 }, false);
  assert.equal(e.maxCostUsd, 0);
  assert.equal(e.tokens, Math.ceil(bodyBytes({ model: 'cheap', messages, max_tokens: 100 }) / 4));
});

test('an unknown model group or a body of the wrong shape costs nothing and never throws', () => {
  assert.equal(estimate('chat', { model: 'nobody', messages }, true).maxCostUsd, 0);
  assert.equal(estimate('messages', { model: 'cheap', messages: 'not a list', max_tokens: 'x' }, true).maxCostUsd > 0, true);
  const embedding = estimate('embedding', { model: 'alone', input: ['a', 'b'] }, true);
  assert.ok(Math.abs(embedding.maxCostUsd - bodyBytes({ model: 'alone', input: ['a', 'b'] }) * 1e-6) < 1e-12, 'embeddings: input only');
});
