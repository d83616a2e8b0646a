import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { calcPrice } from '@pydantic/genai-prices';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { runCli, startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';

/**
 * The cost of a call, end to end: the gateway prices what the (fake) upstream reports with the
 * price library's own prices or the config's overrides, says it in `x-litellm-response-cost`,
 * the request log line and the spend metrics; a stream costs what the same call costs whole, and
 * a client that did not ask for a stream's usage never sees it.
 */

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let openai: OpenAI;

const USAGE = { prompt_tokens: 1_234, completion_tokens: 321 };
const CACHED = 1_024;

before(async () => {
  upstream = await startFakeUpstream();
  for (const model of ['gpt-4o', 'prod-4o', 'house-model']) {
    upstream.behave(model, { text: 'priced answer', usage: USAGE, usageDetails: { cachedTokens: CACHED, reasoningTokens: 100 } });
  }
  upstream.behave('claude-sonnet-4-5', { text: 'cached answer', usage: USAGE, cacheTokens: { read: 2_000, creation: 500 } });
  const base = { api_base: `${upstream.url}/v1`, api_key: 'sk-upstream-secret' };
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', ...base } },
        { model_name: 'custom', litellm_params: { model: 'openai/gpt-4o', ...base, input_cost_per_token: 0.000003, output_cost_per_token: 0.000011 }, model_info: { cache_read_input_token_cost: 0.0000007 } },
        { model_name: 'prod', litellm_params: { model: 'azure/prod-4o', api_base: upstream.url, api_key: 'sk-upstream-secret', api_version: '2024-10-21' }, model_info: { base_model: 'azure/gpt-4o' } },
        { model_name: 'house', litellm_params: { model: 'openai/house-model', ...base } },
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: upstream.url, api_key: 'sk-upstream-secret' } },
        { model_name: 'embed', litellm_params: { model: 'openai/text-embedding-3-small', ...base }, model_info: { mode: 'embedding' } },
      ],
    },
    args: ['--num_workers', '1'],
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'none', maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const ask = { messages: [{ role: 'user' as const, content: 'price me' }] };

/** The library's own price for the fake upstream's usage: cached tokens at the cached rate. */
function libraryPrice(model: string, providerId: string): number {
  const price = calcPrice({ input_tokens: USAGE.prompt_tokens, cache_read_tokens: CACHED, output_tokens: USAGE.completion_tokens }, model, { providerId });
  assert.ok(price, `the library prices ${providerId}/${model}`);
  return price.total_price;
}

async function costHeader(model: string): Promise<number | undefined> {
  const { response } = await openai.chat.completions.create({ model, ...ask }).withResponse();
  const header = response.headers.get('x-litellm-response-cost');
  return header === null ? undefined : Number(header);
}

function requestLine(predicate: (line: LogLine) => boolean): Promise<LogLine> {
  return gateway.waitForLog((line) => line.msg === 'request' && predicate(line), 5_000, 'the request log line');
}

const sixDigits = (value: number): string => value.toPrecision(6);

test('a known model costs the library\'s own price, cached input at the cached rate', async () => {
  const cost = await costHeader('gpt-4o');
  const expected = libraryPrice('gpt-4o', 'openai');
  assert.equal(sixDigits(cost!), sixDigits(expected));
  const uncached = calcPrice({ input_tokens: USAGE.prompt_tokens, output_tokens: USAGE.completion_tokens }, 'gpt-4o', { providerId: 'openai' })!.total_price;
  assert.ok(cost! < uncached, `cached tokens are cheaper: ${cost} < ${uncached}`);
});

test('an override wins over the library, and base_model prices a deployment by another name', async () => {
  const custom = await costHeader('custom');
  const expected = (USAGE.prompt_tokens - CACHED) * 0.000003 + CACHED * 0.0000007 + USAGE.completion_tokens * 0.000011;
  assert.equal(sixDigits(custom!), sixDigits(expected));
  const prod = await costHeader('prod');
  assert.equal(sixDigits(prod!), sixDigits(libraryPrice('gpt-4o', 'azure')));
});

test('Anthropic cache reads and writes are priced at their own rates on /v1/messages', async () => {
  const claude = new Anthropic({ baseURL: gateway.url, apiKey: 'none', maxRetries: 0 });
  const { response } = await claude.messages.create({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  const expected = calcPrice({ input_tokens: USAGE.prompt_tokens + 2_500, cache_read_tokens: 2_000, cache_write_tokens: 500, output_tokens: USAGE.completion_tokens }, 'claude-sonnet-4-5', { providerId: 'anthropic' })!.total_price;
  assert.equal(sixDigits(Number(response.headers.get('x-litellm-response-cost'))), sixDigits(expected));
});

test('a stream costs what the same call costs whole, and a client that did not ask for usage gets none', async () => {
  const whole = await costHeader('gpt-4o');
  const before = upstream.requests.length;
  const stream = await openai.chat.completions.create({ model: 'gpt-4o', ...ask, stream: true });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length > 1);
  for (const chunk of chunks) {
    assert.equal('usage' in chunk, false, `no usage in ${JSON.stringify(chunk)}`);
    assert.ok(chunk.choices.length > 0, 'no usage-only chunk');
  }
  const sent = upstream.requests.slice(before).find((r) => r.body?.stream === true);
  assert.deepEqual(sent?.body?.stream_options, { include_usage: true }, 'the gateway asked the upstream for the usage');
  const line = await requestLine((l) => l.stream === true && l.model_group === 'gpt-4o');
  assert.equal(line.cost_usd, whole);
  assert.deepEqual(line.tokens, { input: USAGE.prompt_tokens, output: USAGE.completion_tokens, cache_read: CACHED });

  // A client that asks gets the usage chunk as the upstream sent it.
  const asked = await openai.chat.completions.create({ model: 'gpt-4o', ...ask, stream: true, stream_options: { include_usage: true } });
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of asked) if (chunk.usage) usage = chunk.usage;
  assert.equal(usage?.prompt_tokens, USAGE.prompt_tokens);

  // Completions stream the same way.
  const text = await openai.completions.create({ model: 'gpt-4o', prompt: 'price me', stream: true });
  for await (const chunk of text) assert.equal('usage' in chunk, false);
  const completionLine = await requestLine((l) => l.route === '/v1/completions');
  assert.equal(typeof completionLine.cost_usd, 'number');
});

test('embeddings and the Responses API are priced too, a Responses stream as its whole answer', async () => {
  const { response: embedded } = await openai.embeddings.create({ model: 'embed', input: ['one', 'two', 'three'] }).withResponse();
  const embedPrice = calcPrice({ input_tokens: 6, output_tokens: 0 }, 'text-embedding-3-small', { providerId: 'openai' })!.total_price;
  assert.equal(sixDigits(Number(embedded.headers.get('x-litellm-response-cost'))), sixDigits(embedPrice));

  const whole = calcPrice({ input_tokens: USAGE.prompt_tokens, output_tokens: USAGE.completion_tokens }, 'gpt-4o', { providerId: 'openai' })!.total_price;
  const { response } = await openai.responses.create({ model: 'gpt-4o', input: 'price me', store: false }).withResponse();
  assert.equal(sixDigits(Number(response.headers.get('x-litellm-response-cost'))), sixDigits(whole));
  const stream = await openai.responses.create({ model: 'gpt-4o', input: 'price me too', store: false, stream: true });
  for await (const _event of stream) { /* read to the end */ }
  const line = await requestLine((l) => l.route === '/v1/responses' && l.stream === true);
  assert.equal(sixDigits(line.cost_usd as number), sixDigits(whole));
});

test('a deployment without a price: no cost header, cost null in the log, one start-up warning, counted as unpriced', async () => {
  assert.equal(await costHeader('house'), undefined);
  const line = await requestLine((l) => l.model_group === 'house');
  assert.equal(line.cost_usd, null);
  const warnings = gateway.logs.map((l) => String(l.msg)).filter((m) => m.startsWith('deployments without a price'));
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /model group "house", deployment [^)]+\): the price library has no price for openai\/house-model$/, 'only house is named');
  const check = await runCli(['--config', gateway.configPath, '--validate_config']);
  assert.equal(check.code, 0);
  assert.ok(check.stdout.split('\n').includes(`warning: ${warnings[0]}`), check.stdout);
});

test('spend and token metrics by model group and deployment', async () => {
  const metrics = async () => (await fetch(`${gateway.url}/metrics`)).text();
  let text = await metrics();
  const spendOf = (t: string, group: string): number => t.split('\n')
    .filter((l) => l.startsWith('switchyard_spend_usd_total{') && l.includes(`model_group="${group}"`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const cachedOf = (t: string, group: string): number => t.split('\n')
    .filter((l) => l.startsWith('switchyard_cache_tokens_total{') && l.includes(`model_group="${group}"`) && l.includes('kind="read"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const spendBefore = spendOf(text, 'custom');
  const cachedBefore = cachedOf(text, 'custom');
  const cost = (await costHeader('custom'))!;
  const deadline = Date.now() + 5_000;
  while (spendOf(text, 'custom') < spendBefore + cost * 0.999999 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    text = await metrics();
  }
  assert.equal(sixDigits(spendOf(text, 'custom') - spendBefore), sixDigits(cost));
  assert.equal(cachedOf(text, 'custom') - cachedBefore, CACHED);
  assert.match(text, /switchyard_unpriced_calls_total\{model_group="house",deployment="[^"]+"\} [1-9]/);
});
