import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { calcPrice, findProvider, type Provider } from '@pydantic/genai-prices';
import { loadConfigText, type Config } from '../../src/config/index.js';
import { anthropicUsage, openAIUsage, PRICE_LIBRARY, PriceBook, responsesUsage, type CallUsage } from '../../src/cost/index.js';
import { priceTable, resolvePrices, unpricedWarning } from '../../src/cost/primary.js';
import { tableCost } from '../../src/cost/price-table.js';
import { withoutUsage } from '../../src/server/call-cost.js';

function config(text: string, env: Record<string, string> = {}): Config {
  const loaded = loadConfigText(text, 'test.yaml', { env });
  assert.ok(loaded.ok, JSON.stringify(loaded));
  return loaded.value.config;
}

const CONFIG = config(`
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: k }
  - model_name: custom
    litellm_params: { model: openai/gpt-4o, api_key: k, input_cost_per_token: 0.000001, output_cost_per_token: 0.000004 }
  - model_name: custom-info
    litellm_params: { model: openai/gpt-4o, api_key: k }
    model_info: { input_cost_per_token: 0.000002, output_cost_per_token: 0.000008, cache_read_input_token_cost: 0.0000005 }
  - model_name: prod
    litellm_params: { model: azure/prod-4o, api_base: "https://x.openai.azure.com", api_key: k, api_version: "2024-10-21" }
    model_info: { base_model: azure/gpt-4o }
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_key: k }
  - model_name: house
    litellm_params: { model: openai/house-model, api_base: "http://127.0.0.1:1/v1", api_key: k }
  - model_name: per-second
    litellm_params: { model: openai/house-model, api_base: "http://127.0.0.1:1/v1", api_key: k, input_cost_per_second: 0.001, output_cost_per_second: 0.002 }
`);

const prices = resolvePrices(CONFIG.deployments);
const book = new PriceBook(prices);
const id = (group: string): string => CONFIG.deployments.find((d) => d.modelName === group)!.id;
const usage = { input: 1_200, output: 300, cacheRead: 1_000, cacheWrite: 0 };

describe('prices', () => {
  test('the price source names the installed library version', () => {
    // The package does not export its package.json: found next to its entry point's folder.
    const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { name: string; version: string };
    assert.equal(pkg.name, '@pydantic/genai-prices');
    assert.equal(PRICE_LIBRARY, `@pydantic/genai-prices@${pkg.version}`);
  });

  test('a known model costs what the library says, cached tokens at the cached rate', () => {
    const expected = calcPrice({ input_tokens: 1_200, cache_read_tokens: 1_000, output_tokens: 300 }, 'gpt-4o', { providerId: 'openai' })!.total_price;
    const cost = book.cost(id('gpt-4o'), usage, 1)!;
    assert.equal(cost.usd, expected);
    assert.equal(cost.source, PRICE_LIBRARY);
    const uncached = book.cost(id('gpt-4o'), { ...usage, cacheRead: 0 }, 1)!;
    assert.ok(cost.usd < uncached.usd, 'cached input is cheaper');
  });

  test('Anthropic cache reads and writes have their own rates', () => {
    const u = { input: 5_000, output: 100, cacheRead: 2_000, cacheWrite: 2_500 };
    const expected = calcPrice({ input_tokens: 5_000, cache_read_tokens: 2_000, cache_write_tokens: 2_500, output_tokens: 100 }, 'claude-sonnet-4-5', { providerId: 'anthropic' })!.total_price;
    assert.equal(book.cost(id('claude'), u, 1)!.usd, expected);
  });

  test('an override wins over the library, in litellm_params or model_info', () => {
    // Without its own cache price, cache reads keep the library's cached rate for the model.
    const cachedRate = calcPrice({ input_tokens: 1_000, cache_read_tokens: 1_000 }, 'gpt-4o', { providerId: 'openai' })!.total_price / 1_000;
    const custom = book.cost(id('custom'), usage, 1)!;
    assert.equal(custom.source, 'override');
    assert.ok(Math.abs(custom.usd - (200 * 0.000001 + 1_000 * cachedRate + 300 * 0.000004)) < 1e-15, String(custom.usd));
    assert.deepEqual(book.cost(id('custom'), { input: 1_200, output: 300, cacheRead: 0, cacheWrite: 0 }, 1), { usd: 1_200 * 0.000001 + 300 * 0.000004, source: 'override' });
    // cache reads at their own override; the rest of the input at the input price
    const cost = book.cost(id('custom-info'), usage, 1)!;
    assert.ok(Math.abs(cost.usd - (200 * 0.000002 + 1_000 * 0.0000005 + 300 * 0.000008)) < 1e-15);
  });

  test('base_model prices a deployment under another name', () => {
    const expected = calcPrice({ input_tokens: 1_200, cache_read_tokens: 1_000, output_tokens: 300 }, 'gpt-4o', { providerId: 'azure' })!.total_price;
    assert.equal(book.cost(id('prod'), usage, 1)!.usd, expected);
  });

  test('per-second prices use the call duration', () => {
    assert.equal(book.cost(id('per-second'), usage, 2)!.usd, 2 * (0.001 + 0.002));
  });

  test('an unknown price is no cost, with one warning for the deployment', () => {
    assert.equal(book.cost(id('house'), usage, 1), undefined);
    const warning = unpricedWarning(CONFIG, prices);
    assert.match(warning ?? '', /^deployments without a price.*model_list\[5\] \(model group "house", deployment \w+\): the price library has no price for openai\/house-model$/);
    assert.equal(unpricedWarning(config('model_list: [{model_name: m, litellm_params: {model: openai/anything, mock_response: hi}}]\n')), undefined, 'a mock costs nothing, known');
  });
});

/** Every provider of the library (a name the library no longer knows fails the test, so the list stays true). */
const LIBRARY_PROVIDERS = [
  'anthropic', 'arcee', 'avian', 'aws', 'azure', 'baseten', 'cerebras', 'cloudflare', 'cohere', 'cursor', 'deepseek', 'doubleword',
  'fireworks', 'github-copilot', 'google', 'groq', 'huggingface_cerebras', 'huggingface_fireworks-ai', 'huggingface_groq',
  'huggingface_hyperbolic', 'huggingface_nebius', 'huggingface_novita', 'huggingface_nscale', 'huggingface_ovhcloud',
  'huggingface_publicai', 'huggingface_sambanova', 'huggingface_together', 'minimax', 'mistral', 'modal', 'moonshotai', 'novita',
  'openai', 'openrouter', 'ovhcloud', 'perplexity', 'quicksilverpro', 'together', 'typesafe', 'voyageai', 'x-ai', 'zai', 'zhipuai',
];

describe('the plain price tables a worker computes with', () => {
  test('give the library\'s own calcPrice result for every model of the library, bit for bit', () => {
    const usages: CallUsage[] = [
      { input: 1_200, output: 300, cacheRead: 1_000, cacheWrite: 0 },
      { input: 5_000, output: 100, cacheRead: 2_000, cacheWrite: 2_500 },
      { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      { input: 250_000, output: 40_000, cacheRead: 100_000, cacheWrite: 20_000 }, // past the tiers' thresholds
      { input: 1_000_000, output: 7, cacheRead: 0, cacheWrite: 999_999 },
      { input: 10, output: 10, cacheRead: 8, cacheWrite: 8 }, // cached parts larger than the input: the library refuses
    ];
    // Date-changed prices and off-peak hours: before, during and after.
    const moments = ['2024-01-01T12:00:00Z', '2025-06-01T17:00:00Z', '2026-02-01T02:00:00Z', '2026-12-04T20:30:00Z', '2027-03-01T00:45:00Z'].map((t) => new Date(t));
    let models = 0;
    let tiered = 0;
    let periods = 0;
    for (const id of LIBRARY_PROVIDERS) {
      const provider = findProvider({ providerId: id });
      assert.ok(provider, id);
      for (const model of provider.models) {
        const alone: Provider = { ...provider, models: [model] };
        // A few models' match rules do not take their own id (regional names): found by another name, priced the same way.
        if (calcPrice({ input_tokens: 0, output_tokens: 0 }, model.id, { provider: alone }) === null) continue;
        models++;
        const table = priceTable(`${provider.id}:${model.id}`, model);
        if (table.variants.length > 1) periods++;
        if (table.variants.some((v) => v.terms.some((t) => typeof t.price !== 'number'))) tiered++;
        for (const u of usages) {
          const libraryUsage: Record<string, number> = { input_tokens: u.input, output_tokens: u.output };
          if (u.cacheRead > 0) libraryUsage.cache_read_tokens = u.cacheRead;
          if (u.cacheWrite > 0) libraryUsage.cache_write_tokens = u.cacheWrite;
          for (const moment of moments) {
            let expected: number | undefined;
            try {
              expected = calcPrice(libraryUsage, model.id, { provider: alone, timestamp: moment })?.total_price;
            } catch {
              expected = undefined;
            }
            assert.equal(tableCost(table, u, moment.getTime()), expected, `${provider.id}:${model.id} ${JSON.stringify(u)} at ${moment.toISOString()}`);
          }
        }
      }
    }
    assert.ok(models > 1_000 && tiered > 10 && periods > 5, `${models} models, ${tiered} tiered, ${periods} with periods`);
  });
});

describe('usage as each API reports it', () => {
  test('OpenAI: cached tokens are part of prompt_tokens', () => {
    assert.deepEqual(openAIUsage({ prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 64 }, completion_tokens_details: { reasoning_tokens: 15 } }),
      { input: 100, output: 20, cacheRead: 64, cacheWrite: 0 });
    assert.equal(openAIUsage(null), undefined);
  });

  test('Anthropic: cache reads and writes are added to the input; a stream reports in two parts', () => {
    const start = anthropicUsage({ input_tokens: 10, cache_read_input_tokens: 200, cache_creation_input_tokens: 30, output_tokens: 1 });
    assert.deepEqual(start, { input: 240, output: 1, cacheRead: 200, cacheWrite: 30 });
    assert.deepEqual(anthropicUsage({ output_tokens: 55 }, start), { input: 240, output: 55, cacheRead: 200, cacheWrite: 30 });
  });

  test('Responses: input_tokens_details.cached_tokens', () => {
    assert.deepEqual(responsesUsage({ input_tokens: 50, output_tokens: 9, input_tokens_details: { cached_tokens: 40 }, output_tokens_details: { reasoning_tokens: 4 } }),
      { input: 50, output: 9, cacheRead: 40, cacheWrite: 0 });
  });
});

describe('usage the client did not ask for', () => {
  test('the usage-only chunk is dropped and usage:null fields are removed', () => {
    assert.equal(withoutUsage({ data: '{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}' }), null);
    assert.deepEqual(withoutUsage({ data: '{"id":"c","choices":[{"index":0}],"usage":null}' }), { data: '{"id":"c","choices":[{"index":0}]}' });
    assert.deepEqual(withoutUsage({ data: '{"id":"c","choices":[{"index":0}],"usage":{"prompt_tokens":1}}' }), { data: '{"id":"c","choices":[{"index":0}]}' });
  });

  test('usage found wherever it sits, and nothing else taken', () => {
    // OpenAI's newer chunks carry fields after usage.
    assert.deepEqual(withoutUsage({ data: '{"id":"c","choices":[{"index":0}],"usage":null,"obfuscation":"ab"}' }), { data: '{"id":"c","choices":[{"index":0}],"obfuscation":"ab"}' });
    assert.equal(withoutUsage({ data: '{"id":"c","choices":[],"usage":{"prompt_tokens":1},"obfuscation":"ab"}' }), null);
    // A key that ends in usage is not the field; usage may come before the choices.
    assert.deepEqual(withoutUsage({ data: '{"id":"c","usage":null,"choices":[{"index":0}]}' }), { data: '{"id":"c","choices":[{"index":0}]}' });
    assert.deepEqual(withoutUsage({ data: '{"id":"c","choices":[{"index":0}],"usage":null,"x_usage":1}' }), { data: '{"id":"c","choices":[{"index":0}],"x_usage":1}' });
    assert.equal(withoutUsage({ data: '{"id":"c","choices":[],"usage":{"prompt_tokens":1,"x_usage":{"a":1}}}' }), null);
    // Text that mentions usage is escaped inside its string, so it is never the field.
    const text = { data: '{"id":"c","choices":[{"index":0,"delta":{"content":"the \\"usage\\": null"}}]}' };
    assert.equal(withoutUsage(text), text);
    const plain = { data: '{"id":"c","choices":[{"index":0}]}' };
    assert.equal(withoutUsage(plain), plain);
    assert.deepEqual(withoutUsage({ event: 'x', data: '{"usage":null}' }), { event: 'x', data: '{"usage":null}' });
  });
});
