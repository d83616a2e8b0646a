import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/**
 * A virtual key's limits across the cluster (issue 18 point 4): two hosts (two gateway primaries
 * of two workers each) sharing one Redis and one PostgreSQL database. rpm counted once for both,
 * a budget not overrun by 50 concurrent calls, a budget_duration reset, max_parallel_requests,
 * and Redis killed: calls go on, counted locally, and their spend reaches Redis when it returns.
 * Budget-only keys are counted in budget blocks, from Redis on the two hosts and from the primary
 * on a third host without Redis (`alone`): spend still ends within budget + one call's maximum.
 */

const MASTER = 'sk-master-of-limits';
// Prices as LiteLLM's overrides: $1 per million input tokens, $10 per million output tokens.
const INPUT_PRICE = 1e-6;
const OUTPUT_PRICE = 1e-5;
const MAX_TOKENS = 100;
// Every answer: 10 input and 50 output tokens, so a call costs $0.00051 and reserves a little over $0.001.
const REAL_COST = 10 * INPUT_PRICE + 50 * OUTPUT_PRICE;

let upstream: FakeUpstream;
let db: TestDatabase;
let redis: RedisProcess;
let a: GatewayProcess;
let b: GatewayProcess;
/**
 * A third host without Redis: its primary counts for its two workers (docs/limits.md, "Budget
 * blocks"). Its database is its own: a host without Redis cannot tell the others of the budget
 * resets its job makes, and the budget_duration test below needs the two hosts' windows to agree.
 */
let alone: GatewayProcess;
let aloneDb: TestDatabase;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('gpt-4o', { text: 'an answer', usage: { prompt_tokens: 10, completion_tokens: 50 } });
  upstream.behave('gpt-4o-slow', { text: 'a slow answer', delayMs: 800, usage: { prompt_tokens: 10, completion_tokens: 50 } });
  [db, aloneDb, redis] = await Promise.all([createTestDatabase(), createTestDatabase(), startRedis()]);
  [a, b, alone] = await Promise.all([host(redis.url, db), host(redis.url, db), host(undefined, aloneDb)]);
});

after(async () => {
  await stopAllGateways();
  await redis.stop();
  await upstream.close();
  await Promise.all([db.drop(), aloneDb.drop()]);
});

function host(redisUrl: string | undefined, database: TestDatabase): Promise<GatewayProcess> {
  const deployment = (name: string) => ({
    model_name: name,
    litellm_params: { model: `openai/${name}`, api_base: `${upstream.url}/v1`, api_key: 'sk-upstream' },
    model_info: { input_cost_per_token: INPUT_PRICE, output_cost_per_token: OUTPUT_PRICE },
  });
  return startGateway({
    config: {
      model_list: [deployment('gpt-4o'), deployment('gpt-4o-slow')],
      general_settings: { master_key: MASTER },
      ...(redisUrl === undefined ? {} : { router_settings: { redis_url: redisUrl } }),
    },
    args: ['--num_workers', '2'],
    env: { DATABASE_URL: database.url },
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
interface Answer { status: number; headers: Headers; body: any }

async function call(gateway: GatewayProcess, path: string, key: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const chat = (gateway: GatewayProcess, key: string, model = 'gpt-4o') =>
  call(gateway, '/v1/chat/completions', key, { model, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }] });

async function newKey(fields: Record<string, unknown>, via = a): Promise<{ key: string; hash: string }> {
  const made = await call(via, '/key/generate', MASTER, fields);
  assert.equal(made.status, 200, JSON.stringify(made.body));
  return { key: made.body.key, hash: made.body.token_id };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('rpm_limit 60: exactly 60 calls a minute across both hosts together, then 429 with retry-after', async () => {
  const { key } = await newKey({ rpm_limit: 60 });
  const answers = await Promise.all(Array.from({ length: 75 }, (_, i) => chat(i % 2 === 0 ? a : b, key)));
  const ok = answers.filter((x) => x.status === 200);
  const refused = answers.filter((x) => x.status === 429);
  assert.equal(ok.length, 60, `statuses: ${answers.map((x) => x.status).join(',')}`);
  assert.equal(refused.length, 15);
  for (const r of refused) {
    assert.equal(r.body.error.type, 'rate_limit_error');
    assert.equal(r.body.error.code, '429');
    assert.match(r.body.error.message, /^Rate limit exceeded for api_key: [0-9a-f]{64}\. Limit type: requests\. Current limit: 60, Remaining: 0\./);
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 60, `retry-after ${wait}`);
    assert.equal(r.headers.get('x-should-retry'), 'true');
  }
});

test('model_rpm_limit {gpt-4o: 4}: 4 calls of that group across both hosts, then LiteLLM\'s model_per_key 429; other groups and keys untouched; /key/update merges new limits into the metadata', async () => {
  const { key, hash } = await newKey({ model_rpm_limit: { 'gpt-4o': 4 }, metadata: { owner: 'evals' } });
  const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => chat(i % 2 === 0 ? a : b, key)));
  assert.equal(answers.filter((x) => x.status === 200).length, 4, `statuses: ${answers.map((x) => x.status).join(',')}`);
  for (const r of answers.filter((x) => x.status !== 200)) {
    assert.equal(r.status, 429);
    assert.match(r.body.error.message, new RegExp(`^Rate limit exceeded for model_per_key: ${hash}:gpt-4o\\. Limit type: requests\\. Current limit: 4, Remaining: 0\\.`));
  }
  assert.equal((await chat(b, key, 'gpt-4o-slow')).status, 200, 'another group of the same key is not limited');
  const other = await newKey({});
  assert.equal((await chat(a, other.key)).status, 200, 'another key is not limited');
  const [row] = await db.sql`SELECT metadata FROM "LiteLLM_VerificationToken" WHERE token = ${hash}`;
  assert.deepEqual(row!.metadata, { owner: 'evals', model_rpm_limit: { 'gpt-4o': 4 } }, 'kept in the metadata, as LiteLLM keeps it');
  // Without a metadata in the body, the new limits are merged into the key's own.
  const updated = await call(a, '/key/update', MASTER, { key, model_max_parallel_requests: { 'gpt-4o-slow': 1 } });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  const [after] = await db.sql`SELECT metadata FROM "LiteLLM_VerificationToken" WHERE token = ${hash}`;
  assert.deepEqual(after!.metadata, { owner: 'evals', model_rpm_limit: { 'gpt-4o': 4 }, model_max_parallel_requests: { 'gpt-4o-slow': 1 } });
  const slow = await until(async () => {
    const round = await Promise.all([chat(a, key, 'gpt-4o-slow'), chat(b, key, 'gpt-4o-slow')]);
    return round.filter((x) => x.status === 200).length === 1 && round.some((x) => /Limit type: max_parallel_requests\. Current limit: 1/.test(x.body.error?.message ?? ''));
  });
  assert.ok(slow, 'one slow call in flight at a time once both hosts read the update');
  const bad = await call(a, '/key/generate', MASTER, { model_rpm_limit: { 'gpt-4o': 'ten' } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /model_rpm_limit: gpt-4o: expected a whole number/);
});

/** Tries `attempt` for up to 5 s (a changed key reaches the other host's cache within a second). */
async function until(attempt: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await attempt()) return true;
    await sleep(200);
  }
  return false;
}

test('max_parallel_requests 2: two calls in flight across both hosts, the others 429', async () => {
  const { key } = await newKey({ max_parallel_requests: 2 });
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(i % 2 === 0 ? a : b, key, 'gpt-4o-slow')));
  assert.equal(answers.filter((x) => x.status === 200).length, 2, `statuses: ${answers.map((x) => x.status).join(',')}`);
  for (const r of answers.filter((x) => x.status !== 200)) {
    assert.equal(r.status, 429);
    assert.match(r.body.error.message, /Limit type: max_parallel_requests\. Current limit: 2/);
  }
  // Settled when they ended: the places are free again.
  assert.equal((await chat(a, key)).status, 200);
});

test('a client that goes away hands its place back at once (max_parallel_requests 1)', async () => {
  const { key } = await newKey({ max_parallel_requests: 1 });
  const gone = new AbortController();
  const first = fetch(`${a.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-slow', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }] }),
    signal: gone.signal,
  }).catch(() => 'aborted');
  await sleep(300);
  assert.equal((await chat(b, key)).status, 429, 'the first call holds the only place');
  gone.abort();
  assert.equal(await first, 'aborted');
  await sleep(150);
  // The slow upstream answers 800 ms after the first call began; its place is back before that.
  assert.equal((await chat(b, key)).status, 200);
});

test('50 concurrent calls on a key with budget for 5: spend ends between the budget and budget + one call\'s maximum', async () => {
  // A call's maximum: its input counted (a few tokens) plus max_tokens of output, about $0.001.
  const maxCall = 40 * INPUT_PRICE + MAX_TOKENS * OUTPUT_PRICE;
  const budget = 0.005;
  const { key, hash } = await newKey({ max_budget: budget });
  const outcomes = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const statuses: number[] = [];
    // Each client tries again on 429 (budget held by the calls in flight) until it is served or refused for good.
    for (let attempt = 0; attempt < 100; attempt++) {
      const answer = await chat(i % 2 === 0 ? a : b, key, 'gpt-4o-slow');
      statuses.push(answer.status);
      if (answer.status !== 429) {
        if (answer.status === 400) {
          assert.equal(answer.body.error.type, 'budget_exceeded');
          assert.equal(answer.body.error.code, '400');
          assert.match(answer.body.error.message, /^Budget has been exceeded! Current cost: [\d.e-]+, Max budget: 0\.005$/);
        }
        return statuses;
      }
      assert.equal(answer.headers.get('retry-after'), '1');
      await sleep(200);
    }
    return statuses;
  }));
  const served = outcomes.filter((s) => s.at(-1) === 200).length;
  assert.equal(outcomes.filter((s) => s.at(-1) !== 200 && s.at(-1) !== 400).length, 0, 'every client ends served or refused');
  // The spend rows are written in batches; the key's spend column is their sum.
  let spend = 0;
  for (let i = 0; i < 40; i++) {
    const [row] = await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = ${hash}`;
    spend = Number(row!.spend);
    if (Math.abs(spend - served * REAL_COST) < 1e-9) break;
    await sleep(250);
  }
  const [logs] = await db.sql`SELECT count(*)::int AS calls, coalesce(sum(spend), 0) AS spend FROM "LiteLLM_SpendLogs" WHERE api_key = ${hash} AND status = 'success'`;
  assert.equal(logs!.calls, served);
  assert.ok(Math.abs(spend - Number(logs!.spend)) < 1e-9, `key ${spend}, logs ${logs!.spend}`);
  assert.ok(spend <= budget + maxCall + 1e-12, `spend ${spend} (${served} calls) past budget + one call's maximum ${budget + maxCall}`);
  assert.ok(spend >= budget, `spend ${spend}: refused before the budget was spent`);
  assert.ok(outcomes.some((s) => s.includes(429)), 'some calls were held back by reservations in flight');
});

const budgetBody = { model: 'gpt-4o', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }] };
// A call's maximum: the body's bytes as input tokens, plus max_tokens of output.
const maxCall = Buffer.byteLength(JSON.stringify(budgetBody)) * INPUT_PRICE + MAX_TOKENS * OUTPUT_PRICE;

/**
 * `clients` concurrent clients call until the budget refuses them (each at most `perClient`
 * times); asserts that every call ended served, held back (429) or refused, and that the spend,
 * by the cost headers, ends between the budget and budget + one call's maximum.
 */
async function spendDown(key: string, budget: number, clients: number, perClient: number, via: (client: number) => GatewayProcess): Promise<{ spent: number; served: number }> {
  let spent = 0;
  let served = 0;
  let refused = 0;
  const other: string[] = [];
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < perClient && refused === 0; i++) {
      const answer = await call(via(c), '/v1/chat/completions', key, budgetBody);
      if (answer.status === 200) {
        served++;
        spent += Number(answer.headers.get('x-litellm-response-cost'));
      } else if (answer.status === 429) { // the rest is held by another worker's block or calls in flight
        assert.equal(answer.headers.get('retry-after'), '1');
        await sleep(100);
      } else if (answer.status === 400 && answer.body.error.type === 'budget_exceeded') refused++;
      else other.push(`${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }));
  assert.deepEqual(other, []);
  assert.ok(refused > 0, `refused in the end (${served} served)`);
  assert.ok(Math.abs(spent - served * REAL_COST) < 1e-9, 'each served call cost what its usage says');
  assert.ok(spent <= budget + maxCall + 1e-9, `spent ${spent} in ${served} calls: past budget + one call's maximum (${budget + maxCall})`);
  assert.ok(spent >= budget - 1e-9, `spent ${spent} in ${served} calls: refused before the budget was spent`);
  return { spent, served };
}

test('a key with only a budget, on two hosts: its four workers count in budget blocks from Redis, and spend ends between the budget and budget + one call\'s maximum', async () => {
  const budget = 0.32; // blocks of $0.005, about five calls' maximum
  const { key, hash } = await newKey({ max_budget: budget });
  const client = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const scripts = async () => [...(await client.info('commandstats')).matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  const scriptsBefore = await scripts();
  const { spent, served } = await spendDown(key, budget, 8, 400, (c) => (c % 2 === 0 ? a : b));
  const scriptsRun = (await scripts()) - scriptsBefore;
  await client.quit();
  // Two scripts a call (admit, settle) without blocks; with them, two a block and two a call only near the end.
  assert.ok(scriptsRun < served, `${scriptsRun} scripts for ${served} calls (other tests' calls included)`);
  // The key's spend column (the spend rows' sum) agrees.
  let column = 0;
  for (let i = 0; i < 40 && Math.abs(column - spent) > 1e-9; i++) {
    await sleep(250);
    const [row] = await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = ${hash}`;
    column = Number(row!.spend);
  }
  assert.ok(Math.abs(column - spent) < 1e-9, `key spend ${column}, answers ${spent}`);
});

test('no Redis, two workers, 8 clients: a budget counted in blocks from the primary ends between the budget and budget + one call\'s maximum', async () => {
  const budget = 0.64; // blocks of 1/64 of it ($0.01, about nine calls' maximum)
  const { key } = await newKey({ max_budget: budget }, alone);
  await spendDown(key, budget, 8, 400, () => alone);
});

test('no Redis, one client, nothing else in flight: the last block is refused when it does not fit whole, so the bound is one call, not one block', async () => {
  // Blocks of $0.005, about five calls' maximum: a last block admitted past what is left would
  // let some of its calls spend beyond budget + one call's maximum.
  const budget = 0.32;
  const { key } = await newKey({ max_budget: budget }, alone);
  await spendDown(key, budget, 1, 1_000, () => alone);
});

test('budget_duration: a spent budget refuses until its window ends, then the next window serves', async () => {
  const { key } = await newKey({ max_budget: REAL_COST * 0.9, budget_duration: '3s' });
  assert.equal((await chat(a, key)).status, 200);
  await sleep(100);
  const refused = await chat(b, key);
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.equal(refused.body.error.type, 'budget_exceeded');
  await sleep(3_200);
  const served = await chat(b, key);
  assert.equal(served.status, 200, `after the reset: ${JSON.stringify(served.body)}`);
  await sleep(100);
  assert.equal((await chat(a, key)).status, 400, 'the new window counts its own spend');
});

test('a team\'s budget holds for all its keys, streamed calls settle at their real cost, and the refusal names the team', async () => {
  const team = `team-budget-${Date.now()}`;
  const budget = REAL_COST * 2.5;
  const made = await call(a, '/team/new', MASTER, { team_id: team, max_budget: budget });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const keys = [(await newKey({ team_id: team })).key, (await newKey({ team_id: team })).key];
  const statuses: number[] = [];
  let refusal: Answer | undefined;
  for (let i = 0; i < 6 && refusal === undefined; i++) {
    const response = await fetch(`${(i % 2 === 0 ? a : b).url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys[i % 2]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: MAX_TOKENS, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await response.text();
    statuses.push(response.status);
    if (response.status !== 200) refusal = { status: response.status, headers: response.headers, body: JSON.parse(text) };
    else assert.match(text, /data: \[DONE\]/);
    await sleep(150); // settled (off the call's path) before the next one
  }
  // Each call ran alone: admitted while the team's spend (0, 0.00051, 0.00102) was under 0.001275.
  assert.deepEqual(statuses, [200, 200, 200, 400]);
  assert.equal(refusal!.body.error.type, 'budget_exceeded');
  assert.match(refusal!.body.error.message, new RegExp(`^Budget has been exceeded! Team=${team} Current cost: 0\\.00153\\d*, Max budget: 0\\.001275$`));
});

test('Redis killed: calls go on, counted per host, no 5xx; their spend reaches Redis when it returns', async () => {
  const { key, hash } = await newKey({ rpm_limit: 1_000, max_budget: 10 });
  const perHost = await newKey({ rpm_limit: 6 });
  assert.equal((await chat(a, key)).status, 200);
  await sleep(300); // settled in Redis (off the call's path) before it goes
  await redis.stop();
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push((await chat(i % 2 === 0 ? a : b, key)).status);
  assert.deepEqual(statuses, Array(20).fill(200));
  const metrics = await (await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
  assert.match(metrics, /switchyard_limit_admissions_total\{counting="local"\} [1-9]/);
  // Counted by the host's primary, not by each worker: 6 of 12 on one host of two workers, whichever served them.
  const burst = await Promise.all(Array.from({ length: 12 }, () => chat(a, perHost.key)));
  assert.deepEqual(burst.map((x) => x.status).sort(), [...Array(6).fill(200), ...Array(6).fill(429)], 'rpm_limit 6 once for the host');
  await redis.start();
  // Redis came back empty: what it holds now is the spend settled while it was away, replayed.
  const client = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const spentKey = `switchyard:{switchyard:limits:key:${hash}}:spent:all`;
  let spent = 0;
  for (let i = 0; i < 40 && spent < 20 * REAL_COST - 1e-9; i++) {
    await sleep(250);
    spent = Number(await client.get(spentKey) ?? 0) / 1e9;
  }
  await client.quit();
  assert.ok(Math.abs(spent - 20 * REAL_COST) < 1e-8, `spent in Redis ${spent}, expected ${20 * REAL_COST}`);
});
