import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import OpenAI from 'openai';
import { priceTable } from '../../src/cost/primary.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';

/**
 * A worker prices calls from the plain prices the primary resolved with the price library and
 * sent in the listen message (and again with an accepted reload): its cost header is the
 * library's own calcPrice result, an override wins, a reload's new price is used, and no worker
 * ever loads the library.
 */

let upstream: FakeUpstream;

const USAGE = { prompt_tokens: 1_234, completion_tokens: 321 };
const CACHED = 1_024;
/** A model whose price the library tiers by the call's input (over 272k tokens costs more). */
const TIERED = 'gpt-5.4';
const BIG = { prompt_tokens: 300_000, completion_tokens: 4_000 };
const BIG_CACHED = 100_000;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('gpt-4o', { text: 'priced', usage: USAGE, usageDetails: { cachedTokens: CACHED } });
  upstream.behave('claude-sonnet-4-5', { text: 'cached', usage: USAGE, cacheTokens: { read: 2_000, creation: 500 } });
  upstream.behave(TIERED, { text: 'long', usage: BIG, usageDetails: { cachedTokens: BIG_CACHED } });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const TEST_HOOKS = { SWITCHYARD_TEST_HOOKS: '1' };

function modelList(customInput: number): object[] {
  const base = { api_base: `${upstream.url}/v1`, api_key: 'sk-upstream-secret' };
  const anthropic = { api_base: upstream.url, api_key: 'sk-upstream-secret' };
  return [
    { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', ...base } },
    { model_name: 'custom', litellm_params: { model: 'openai/gpt-4o', ...base, input_cost_per_token: customInput, output_cost_per_token: 0.000011 } },
    { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', ...anthropic } },
    { model_name: 'tiered', litellm_params: { model: `openai/${TIERED}`, ...base } },
  ];
}

async function openAICost(gateway: GatewayProcess, model: string): Promise<number | undefined> {
  const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const { response } = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'price me' }] }).withResponse();
  const header = response.headers.get('x-litellm-response-cost');
  return header === null ? undefined : Number(header);
}

async function anthropicCost(gateway: GatewayProcess, model: string): Promise<number> {
  const claude = new Anthropic({ baseURL: gateway.url, apiKey: 'none', maxRetries: 0 });
  const { response } = await claude.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  return Number(response.headers.get('x-litellm-response-cost'));
}

function library(usage: Record<string, number>, model: string, providerId: string): number {
  const price = calcPrice(usage, model, { providerId });
  assert.ok(price, `the library prices ${providerId}/${model}`);
  return price.total_price;
}

/** The overridden deployment's cost for the fake's usage: cache reads keep the library's cached rate for gpt-4o. */
function customCost(input: number): number {
  const cachedRate = library({ input_tokens: 1_000, cache_read_tokens: 1_000 }, 'gpt-4o', 'openai') / 1_000;
  return (USAGE.prompt_tokens - CACHED) * input + CACHED * cachedRate + USAGE.completion_tokens * 0.000011;
}

const sixDigits = (value: number | undefined): string => (value ?? NaN).toPrecision(6);

async function requiredModules(gateway: GatewayProcess): Promise<{ pid: number; modules: string[] }> {
  const response = await fetch(`${gateway.url}/__test/required-modules`, { headers: { connection: 'close' } });
  assert.equal(response.status, 200);
  return await response.json() as { pid: number; modules: string[] };
}

const is = (msg: string) => (line: LogLine): boolean => line.msg === msg;

describe('a worker prices from the primary\'s plain prices', () => {
  let gateway: GatewayProcess;

  before(async () => {
    gateway = await startGateway({ config: { model_list: modelList(0.000003) }, args: ['--num_workers', '2'], env: TEST_HOOKS });
  });

  test('the cost header is the library\'s own result: cached tokens, Anthropic cache reads and writes, a tiered price', async () => {
    const gpt = await openAICost(gateway, 'gpt-4o');
    assert.equal(sixDigits(gpt), sixDigits(library({ input_tokens: USAGE.prompt_tokens, cache_read_tokens: CACHED, output_tokens: USAGE.completion_tokens }, 'gpt-4o', 'openai')));

    const claude = await anthropicCost(gateway, 'claude');
    assert.equal(sixDigits(claude), sixDigits(library({ input_tokens: USAGE.prompt_tokens + 2_500, cache_read_tokens: 2_000, cache_write_tokens: 500, output_tokens: USAGE.completion_tokens }, 'claude-sonnet-4-5', 'anthropic')));

    const provider = findProvider({ providerId: 'openai' });
    const model = provider?.models.find((m) => m.id === TIERED);
    assert.ok(model, `${TIERED} is in the library`);
    const { variants } = priceTable(TIERED, model);
    assert.ok(variants.length === 1 && variants[0]!.terms.some((t) => typeof t.price !== 'number'), `${TIERED} has tiered prices`);
    const tiered = await openAICost(gateway, 'tiered');
    assert.equal(sixDigits(tiered), sixDigits(library({ input_tokens: BIG.prompt_tokens, cache_read_tokens: BIG_CACHED, output_tokens: BIG.completion_tokens }, TIERED, 'openai')));
    // ... and the tier matters: half of every count (under the threshold) costs less than half as much.
    const half = library({ input_tokens: BIG.prompt_tokens / 2, cache_read_tokens: BIG_CACHED / 2, output_tokens: BIG.completion_tokens / 2 }, TIERED, 'openai');
    assert.ok(tiered! > 2 * half * 1.1, `${tiered} is priced above the base tier (${half} for half of it)`);
  });

  test('a per-deployment override wins over the library', async () => {
    const custom = await openAICost(gateway, 'custom');
    assert.equal(sixDigits(custom), sixDigits(customCost(0.000003)));
    assert.notEqual(sixDigits(custom), sixDigits(await openAICost(gateway, 'gpt-4o')));
  });

  test('no worker loads the price library; the primary does', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      const { pid, modules } = await requiredModules(gateway);
      seen.add(pid);
      // The check can fail: the worker's own files are listed (the bundle's loader, or the unbundled CLI).
      assert.ok(modules.some((m) => /switchyard|dist[\\/]/.test(m)), modules.join('\n'));
      assert.deepEqual(modules.filter((m) => m.includes('genai-prices')), [], `worker ${pid} required the price library`);
    }
    assert.equal(seen.size, 2, 'both workers answered');
    const booted = gateway.logs.filter(is('worker booted'));
    assert.ok(booted.length >= 2 && booted.every((l) => l.code_cache !== 'unbundled'), `workers run the bundle: ${JSON.stringify(booted)}`);
  });

  test('after a SIGHUP that changes an override, the new price is used', async () => {
    gateway.writeConfig({ model_list: modelList(0.000005) });
    const drained = gateway.logs.filter(is('drain finished')).length;
    process.kill(primaryPid(gateway), 'SIGHUP');
    await gateway.waitForLog((l) => String(l.msg).startsWith('reload accepted'), 5_000, 'reload accepted');
    for (let i = 0; i < 300 && gateway.logs.filter(is('drain finished')).length < drained + 2; i++) await sleep(50);
    assert.equal(gateway.logs.filter(is('drain finished')).length, drained + 2, 'both workers were replaced');
    for (let i = 0; i < 4; i++) assert.equal(sixDigits(await openAICost(gateway, 'custom')), sixDigits(customCost(0.000005)));
  });
});

test('a worker still on the old config prices a reloaded deployment from the reload message', async () => {
  // Replacements never become ready: the old workers serve the new config's groups themselves.
  const gateway = await startGateway({
    config: { model_list: modelList(0.000003) },
    args: ['--num_workers', '1', '--worker_ready_timeout', '20'],
    env: { ...TEST_HOOKS, SWITCHYARD_TEST_NEVER_READY_FROM_SPAWN: '1' },
  });
  const added = { model_name: 'added-later', litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream.url}/v1`, api_key: 'sk-upstream-secret', input_cost_per_token: 0.000007, output_cost_per_token: 0.000011 } };
  gateway.writeConfig({ model_list: [...modelList(0.000003), added] });
  const oldPid = (await requiredModules(gateway)).pid;
  process.kill(primaryPid(gateway), 'SIGHUP');
  await gateway.waitForLog((l) => String(l.msg).startsWith('reload accepted'), 5_000, 'reload accepted');
  await sleep(300); // the worker loads the new config
  assert.equal(sixDigits(await openAICost(gateway, 'added-later')), sixDigits(customCost(0.000007)));
  assert.equal((await requiredModules(gateway)).pid, oldPid, 'the old worker answered');
  await gateway.stop();
});

function primaryPid(gateway: GatewayProcess): number {
  return gateway.proc.pid!;
}
