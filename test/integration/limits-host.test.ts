import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/**
 * A budget counted by one host without Redis (docs/limits.md, "Budget blocks"): the workers
 * reserve blocks of it from their primary and admit calls inside them alone. The host still stops
 * at the budget within one call's maximum, never one block's, and the blocks' real cost reaches
 * the primary's count when they close.
 */

const MASTER = 'sk-master-of-one-host';
const INPUT_PRICE = 1e-6;
const OUTPUT_PRICE = 1e-5;
const MAX_TOKENS = 100;
// Each answer: 10 input and 50 output tokens ($0.00051); each call reserves about $0.0011.
const REAL_COST = 10 * INPUT_PRICE + 50 * OUTPUT_PRICE;

let upstream: FakeUpstream;
let db: TestDatabase;
let gateway: GatewayProcess;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('gpt-4o', { text: 'an answer', usage: { prompt_tokens: 10, completion_tokens: 50 } });
  db = await createTestDatabase();
  gateway = await startGateway({
    config: {
      model_list: [{
        model_name: 'gpt-4o',
        litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream.url}/v1`, api_key: 'sk-upstream' },
        model_info: { input_cost_per_token: INPUT_PRICE, output_cost_per_token: OUTPUT_PRICE },
      }],
      general_settings: { master_key: MASTER },
    },
    args: ['--num_workers', '2'],
    env: { DATABASE_URL: db.url },
  });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
  await db.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(path: string, key: string, body: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const body = { model: 'gpt-4o', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }] };

/** Calls from `clients` concurrent clients until the budget refuses them; what they spent by their cost headers. */
async function spendDown(key: string, clients: number, perClient: number): Promise<{ spent: number; served: number; refused: number; held: number }> {
  let spent = 0;
  let served = 0;
  let refused = 0;
  let held = 0;
  const other: string[] = [];
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = 0; i < perClient && refused === 0; i++) {
      const answer = await call('/v1/chat/completions', key, body);
      if (answer.status === 200) {
        served++;
        spent += Number(answer.headers.get('x-litellm-response-cost'));
      } else if (answer.status === 429) {
        held++; // the rest of the budget is held by the other worker's block or by calls in flight
        assert.equal(answer.headers.get('retry-after'), '1');
        await new Promise((resolve) => setTimeout(resolve, 100));
      } else if (answer.status === 400 && answer.body.error.type === 'budget_exceeded') refused++;
      else other.push(`${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }));
  assert.deepEqual(other, []);
  assert.ok(refused > 0, `the budget refused calls in the end (${served} served, ${held} held back)`);
  assert.ok(Math.abs(spent - served * REAL_COST) < 1e-9, 'each served call cost what its usage says');
  return { spent, served, refused, held };
}

async function budgetKey(budget: number): Promise<string> {
  const made = await call('/key/generate', MASTER, { max_budget: budget });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  return made.body.key as string;
}

// A call's maximum: the body's bytes as input tokens, plus max_tokens of output.
const maxCall = Buffer.byteLength(JSON.stringify(body)) * INPUT_PRICE + MAX_TOKENS * OUTPUT_PRICE;

test('no Redis, two workers, 8 clients: a budget counted in blocks ends between the budget and budget + one call\'s maximum', async () => {
  // Blocks of 1/64 of the budget ($0.01, about nine calls' maximum).
  const budget = 0.64;
  const { spent, served } = await spendDown(await budgetKey(budget), 8, 400);
  assert.ok(spent <= budget + maxCall + 1e-9, `spent ${spent} in ${served} calls: past budget + one call's maximum (${budget + maxCall})`);
  assert.ok(spent >= budget - 1e-9, `spent ${spent} in ${served} calls: refused before the budget was spent`);
});

test('one client, nothing else in flight: the last block is refused when it does not fit whole, so the bound is one call, not one block', async () => {
  // Blocks of $0.005, about five calls' maximum: a last block admitted past what is left would
  // let some of its calls spend beyond budget + one call's maximum.
  const budget = 0.32;
  const { spent, served } = await spendDown(await budgetKey(budget), 1, 1_000);
  assert.ok(spent <= budget + maxCall + 1e-9, `spent ${spent} in ${served} calls: past budget + one call's maximum (${budget + maxCall})`);
  assert.ok(spent >= budget - 1e-9, `spent ${spent} in ${served} calls: refused before the budget was spent`);
});
