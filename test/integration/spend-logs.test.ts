import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways } from '../support/gateway.js';
import { runLoad } from '../support/load.js';
import { freePort } from '../support/ports.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * Spend logs in a real PostgreSQL (a database of this file's own): one row per call in
 * LiteLLM_SpendLogs whatever the workers do (recycles flush before they exit), the spend metric
 * equal to the rows' sum, nothing lost while PostgreSQL is unreachable, and GET /spend/logs.
 */

let upstream: FakeUpstream;
let db: TestDatabase;
let proxy: TcpProxy | undefined;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('gpt-4o', { text: 'logged answer', usage: { prompt_tokens: 40, completion_tokens: 12 }, usageDetails: { cachedTokens: 16 } });
  db = await createTestDatabase();
});

after(async () => {
  await stopAllGateways();
  await proxy?.close();
  await upstream.close();
  await db.drop();
});

const config = {
  model_list: [
    { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: '', api_key: 'sk-upstream-secret' } },
  ],
};
const withUpstream = () => ({ model_list: config.model_list.map((d) => ({ ...d, litellm_params: { ...d.litellm_params, api_base: `${upstream.url}/v1` } })) });

async function rowCount(): Promise<number> {
  const [row] = await db.sql<Array<{ n: string }>>`SELECT count(*) AS n FROM "LiteLLM_SpendLogs"`;
  return Number(row!.n);
}

async function waitForRows(count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = await rowCount().catch(() => 0);
  while (n < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    n = await rowCount().catch(() => 0);
  }
  return n;
}

function metricSum(text: string, name: string): number {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

test('1,000 calls across 2 recycling workers: 1,000 rows, and the spend metric equals their sum', async () => {
  const gateway = await startGateway({
    config: withUpstream(),
    // Limits of 60-90: a worker serves past its limit until its replacement is ready (CI once saw only 2 recycles with 100-150 on a slow boot).
    args: ['--num_workers', '2', '--max_requests_before_restart', '60', '--max_requests_before_restart_jitter', '30'],
    env: { DATABASE_URL: db.url },
  });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const load = await runLoad({
    concurrency: 8,
    maxRequests: 1_000,
    maxMs: 60_000,
    request: async (_loop, index) => {
      const body = {
        model: 'gpt-4o',
        messages: [{ role: 'user' as const, content: `call ${index}` }],
        ...(index % 100 === 0 ? { metadata: { tags: ['batch', `hundred-${index}`] } } : {}),
      } as OpenAI.ChatCompletionCreateParamsNonStreaming;
      if (index % 2 === 0) await client.chat.completions.create(body);
      else for await (const _chunk of await client.chat.completions.create({ ...body, stream: true })) { /* read to the end */ }
    },
  });
  assert.deepEqual(load.errors, []);
  assert.equal(load.ok, 1_000);
  assert.equal(await waitForRows(1_000, 15_000), 1_000);
  const restarts = (await (await fetch(`${gateway.url}/metrics`)).text());
  assert.ok(metricSum(restarts, 'switchyard_worker_restarts_total') >= 3, `the workers recycled along the way: ${restarts.split('\n').filter((l) => l.includes('restarts_total')).join('; ')}`);

  const [sums] = await db.sql<Array<{ spend: number; prompt: string; distinct_ids: string; failures: string }>>`
    SELECT sum("spend") AS spend, sum("prompt_tokens") AS prompt, count(DISTINCT "request_id") AS distinct_ids,
           count(*) FILTER (WHERE "status" <> 'success') AS failures
    FROM "LiteLLM_SpendLogs"`;
  assert.equal(Number(sums!.distinct_ids), 1_000);
  assert.equal(Number(sums!.failures), 0);
  assert.equal(Number(sums!.prompt), 40_000);
  const deadline = Date.now() + 5_000;
  let text = '';
  do {
    text = await (await fetch(`${gateway.url}/metrics`)).text();
    if (metricSum(text, 'switchyard_spend_log_rows_written_total') === 1_000) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  } while (Date.now() < deadline);
  assert.equal(metricSum(text, 'switchyard_spend_log_rows_written_total'), 1_000);
  const metricSpend = metricSum(text, 'switchyard_spend_usd_total');
  assert.ok(sums!.spend > 0);
  assert.ok(Math.abs(metricSpend - sums!.spend) <= sums!.spend * 1e-9, `metric ${metricSpend} = rows ${sums!.spend}`);

  // The row, as LiteLLM's dashboards read it.
  const [row] = await db.sql<Array<Record<string, unknown>>>`SELECT * FROM "LiteLLM_SpendLogs" WHERE "request_tags" @> '["hundred-0"]'`;
  assert.equal(row!.call_type, 'acompletion');
  assert.equal(row!.model_group, 'gpt-4o');
  assert.equal(row!.model, 'gpt-4o');
  assert.equal(row!.custom_llm_provider, 'openai');
  assert.equal(row!.prompt_tokens, 40);
  assert.equal(row!.completion_tokens, 12);
  assert.equal(row!.total_tokens, 52);
  assert.equal(row!.status, 'success');
  assert.equal(row!.api_base, upstream.url);
  assert.deepEqual(row!.request_tags, ['batch', 'hundred-0']);
  assert.equal((row!.metadata as { usage_object: { cache_read_input_tokens: number } }).usage_object.cache_read_input_tokens, 16);
  assert.ok(!JSON.stringify(row).includes('sk-upstream-secret'));

  // GET /spend/logs: master key not set here, so open; filters by tag, model and time.
  const byTag = await (await fetch(`${gateway.url}/spend/logs?tags=batch&limit=1000`)).json() as Array<{ request_id: string; request_tags: string[] }>;
  assert.equal(byTag.length, 10);
  const byTwoTags = await (await fetch(`${gateway.url}/spend/logs?tags=batch,hundred-500`)).json() as unknown[];
  assert.equal(byTwoTags.length, 1);
  const byModel = await (await fetch(`${gateway.url}/spend/logs?model=gpt-4o&limit=5`)).json() as unknown[];
  assert.equal(byModel.length, 5);
  assert.deepEqual(await (await fetch(`${gateway.url}/spend/logs?model=other`)).json(), []);
  const future = await (await fetch(`${gateway.url}/spend/logs?start_date=2999-01-01`)).json() as unknown[];
  assert.equal(future.length, 0);
  const today = new Date().toISOString().slice(0, 10);
  const inRange = await (await fetch(`${gateway.url}/spend/logs?start_date=${today}&end_date=${today}&limit=3`)).json() as Array<{ startTime: string }>;
  assert.equal(inRange.length, 3);
  assert.ok(inRange[0]!.startTime.startsWith(today));
  const bad = await fetch(`${gateway.url}/spend/logs?start_date=yesterday`);
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /start_date/);
  await gateway.stop();
});

test('PostgreSQL unreachable for 10 s mid-load loses no row', async () => {
  await db.sql`TRUNCATE "LiteLLM_SpendLogs"`;
  proxy = await startTcpProxy(5432);
  const gateway = await startGateway({
    config: withUpstream(),
    args: ['--num_workers', '2'],
    env: { DATABASE_URL: db.urlVia(proxy.port) },
  });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'none', maxRetries: 0 });
  let cutAt = 0;
  let pendingSeen = 0;
  const outage = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await proxy!.cut();
    cutAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    // Rows held in the workers while it is down, on the metric.
    pendingSeen = metricSum(await (await fetch(`${gateway.url}/metrics`)).text(), 'switchyard_spend_log_rows_pending');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await proxy!.restore();
  })();
  const load = await runLoad({
    concurrency: 4,
    maxRequests: 1_500,
    maxMs: 60_000,
    minMs: 15_000,
    request: async (_loop, index) => {
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `outage call ${index}` }] });
    },
  });
  await outage;
  assert.ok(cutAt > 0);
  assert.deepEqual(load.errors, [], 'serving never waited on PostgreSQL');
  assert.ok(pendingSeen > 0, `rows were held while PostgreSQL was down (${pendingSeen})`);
  assert.equal(await waitForRows(load.ok, 20_000), load.ok);
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  assert.equal(metricSum(text, 'switchyard_spend_log_rows_dropped_total'), 0);
  assert.ok(gateway.logs.some((l) => String(l.msg).includes('cannot write to PostgreSQL')));
  await gateway.stop();
});

test('a database password never reaches the logs, and serving goes on without the database', async () => {
  const closed = await freePort();
  const gateway = await startGateway({
    config: withUpstream(),
    args: ['--num_workers', '1'],
    env: { DATABASE_URL: `postgres://postgres:pg-pass-7f3k9q@127.0.0.1:${closed}/nothing` },
  });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'none', maxRetries: 0 });
  await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'no database' }] });
  await gateway.waitForLog((l) => String(l.msg).includes('cannot write to PostgreSQL'), 10_000, 'the outage warning');
  const spend = await fetch(`${gateway.url}/spend/logs`);
  assert.equal(spend.status, 503);
  const body = await spend.text();
  assert.match(body, /database_unavailable/);
  await gateway.stop();
  assert.doesNotMatch(gateway.output() + body, /pg-pass-7f3k9q/);
});
