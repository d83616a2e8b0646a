import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/core/index.js';
import { LimitGate, RedisLimits, type Admission, type Denial, type LimitScope } from '../../src/limits/index.js';
import { RedisConnection } from '../../src/redis/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/**
 * The limit scripts (limit-admit, limit-settle) and the gate over them, against a real
 * redis-server on a free port: two gates on one Redis stand for two hosts.
 */

let redis: RedisProcess;
const connections: RedisConnection[] = [];
const logger = createLogger({ level: 'silent' });

async function connect(): Promise<RedisConnection> {
  const connection = new RedisConnection({ url: redis.url, host: '127.0.0.1', port: redis.port, tls: false, namespace: 'limits-test' }, { logger, purpose: 'limits-test' });
  connection.start();
  const deadline = Date.now() + 5_000;
  while (!connection.available && Date.now() < deadline) await sleep(20);
  assert.ok(connection.available, 'connected to the test redis');
  connections.push(connection);
  return connection;
}

before(async () => {
  redis = await startRedis();
});

after(async () => {
  for (const c of connections) await c.close();
  await redis.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let ids = 0;

function scope(limits: Partial<LimitScope>): LimitScope {
  return { kind: 'key', id: `k${++ids}-${Date.now()}`, rpm: null, tpm: null, maxParallel: null, maxBudget: null, budgetDuration: null, budgetResetAt: null, spend: 0, ...limits };
}

function isDenial(result: Admission | Denial): result is Denial {
  return 'reason' in result;
}

test('rpm: two gates on one Redis admit 60 calls a minute together, then refuse with the wait to the oldest call\'s minute', async () => {
  const [a, b] = [new LimitGate({ redis: await connect(), logger }), new LimitGate({ redis: await connect(), logger })];
  const key = scope({ rpm: 60 });
  const results = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? a : b).admit([key], { maxCostUsd: 0, tokens: 1 })));
  assert.equal(results.filter((r) => !isDenial(r)).length, 60);
  const refused = results.filter(isDenial);
  assert.equal(refused.length, 20);
  for (const r of refused) {
    assert.equal(r.reason, 'rpm');
    assert.equal(r.counting, 'redis');
    assert.ok(r.retryAfterS >= 59 && r.retryAfterS <= 60, `retry after ${r.retryAfterS}`);
  }
});

test('the scripts touch one hash tag per scope (Redis Cluster: one slot)', async () => {
  const limits = new RedisLimits(await connect());
  const keys = limits.keys(scope({ kind: 'team', id: 'team-{x}' }), 1_700_000_000_000);
  const tags = new Set(keys.map((k) => /\{[^}]*\}/.exec(k)?.[0]));
  assert.deepEqual([...tags], ['{limits-test:limits:team:team-_x_}']);
});

test('max_parallel: leases count until settled; a refused scope undoes the admitted one', async () => {
  const gate = new LimitGate({ redis: await connect(), logger });
  const key = scope({ maxParallel: 2, rpm: 100 });
  const team = scope({ kind: 'team', maxParallel: 1 });
  const first = await gate.admit([key, team], { maxCostUsd: 0, tokens: 0 });
  assert.ok(!isDenial(first));
  const second = await gate.admit([key, team], { maxCostUsd: 0, tokens: 0 });
  assert.ok(isDenial(second) && second.reason === 'parallel' && second.scope.kind === 'team');
  // The key's lease for the refused call was undone (off the call's path): one in flight, so one more fits on the key alone.
  await sleep(50);
  const third = await gate.admit([key], { maxCostUsd: 0, tokens: 0 });
  assert.ok(!isDenial(third), 'the undone lease no longer counts');
  const fourth = await gate.admit([key], { maxCostUsd: 0, tokens: 0 });
  assert.ok(isDenial(fourth) && fourth.reason === 'parallel');
  gate.settle(first, 0, undefined);
  await sleep(50);
  assert.ok(!isDenial(await gate.admit([key, team], { maxCostUsd: 0, tokens: 0 })), 'a settled lease frees its place');
});

test('tpm: the estimate counts at admit, the real count replaces it at settle', async () => {
  const gate = new LimitGate({ redis: await connect(), logger });
  const key = scope({ tpm: 1_000 });
  const a = await gate.admit([key], { maxCostUsd: 0, tokens: 900 });
  assert.ok(!isDenial(a));
  assert.ok(!isDenial(await gate.admit([key], { maxCostUsd: 0, tokens: 200 })), 'under the limit before it: admitted');
  const over = await gate.admit([key], { maxCostUsd: 0, tokens: 1 });
  assert.ok(isDenial(over) && over.reason === 'tpm', 'at 1100 of 1000');
  gate.settle(a, 0, 100); // 900 estimated, 100 real: 300 used
  await sleep(50);
  assert.ok(!isDenial(await gate.admit([key], { maxCostUsd: 0, tokens: 1 })));
});

test('budget: 50 concurrent calls on two gates end below budget + one call\'s maximum', async () => {
  const [a, b] = [new LimitGate({ redis: await connect(), logger }), new LimitGate({ redis: await connect(), logger })];
  const key = scope({ maxBudget: 0.05 });
  const maxCost = 0.01; // budget for 5
  let spent = 0;
  let admitted = 0;
  const kinds = new Map<string, number>();
  await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const gate = i % 2 === 0 ? a : b;
    for (;;) {
      const result = await gate.admit([key], { maxCostUsd: maxCost, tokens: 0 });
      if (isDenial(result)) {
        kinds.set(result.reason, (kinds.get(result.reason) ?? 0) + 1);
        if (result.reason === 'budget') return;
        await sleep(5);
        continue;
      }
      admitted++;
      await sleep(5);
      const real = maxCost * 0.8;
      spent += real;
      gate.settle(result, real, undefined);
      return;
    }
  }));
  assert.ok(spent <= 0.05 + maxCost + 1e-12, `spent ${spent}`);
  assert.ok(admitted >= 5, `${admitted} admitted`);
  assert.ok((kinds.get('budget') ?? 0) > 0, 'the rest refused once spent');
  assert.ok((kinds.get('budget_held') ?? 0) > 0, 'some held back by reservations in flight');
});

test('budget: a call runs alone past what fits, and the database\'s spend is a floor', async () => {
  const gate = new LimitGate({ redis: await connect(), logger });
  const key = scope({ maxBudget: 1, spend: 0.5 });
  const big = await gate.admit([key], { maxCostUsd: 2, tokens: 0 });
  assert.ok(!isDenial(big), 'alone: admitted though its maximum is past the budget');
  const next = await gate.admit([key], { maxCostUsd: 0.01, tokens: 0 });
  assert.ok(isDenial(next) && next.reason === 'budget_held' && next.retryAfterS === 1);
  gate.settle(big, 0.6, undefined);
  await sleep(50);
  const after = await gate.admit([key], { maxCostUsd: 0.01, tokens: 0 });
  assert.ok(isDenial(after) && after.reason === 'budget');
  assert.ok(Math.abs(after.used - 1.1) < 1e-9, `spent ${after.used}: the database's 0.5 plus 0.6`);
});

/** How many scripts Redis has run (EVALSHA and EVAL) since it started. */
async function scriptsRun(): Promise<number> {
  const client = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    const info = await client.info('commandstats');
    return [...info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  } finally {
    client.disconnect();
  }
}

test('budget blocks on Redis: two gates admit inside blocks with one script per block, and stop at the budget exactly', async () => {
  const [a, b] = [new LimitGate({ redis: await connect(), logger }), new LimitGate({ redis: await connect(), logger })];
  // $0.064 budget, calls of at most $0.0001 that really cost $0.00005: 1,280 calls spend it exactly.
  const key = scope({ maxBudget: 0.064 });
  const before = await scriptsRun();
  let admitted = 0;
  let refusal: string | undefined;
  for (let i = 0; i < 2_000 && refusal === undefined; i++) {
    const gate = i % 2 === 0 ? a : b;
    const result = await gate.admit([key], { maxCostUsd: 0.0001, tokens: 0 });
    if (isDenial(result)) {
      if (result.reason === 'budget_held') { // the other gate's open block holds the rest until it closes
        await (i % 2 === 0 ? b : a).close();
        await sleep(10);
        continue;
      }
      refusal = result.reason;
      break;
    }
    admitted++;
    gate.settle(result, 0.00005, undefined);
  }
  assert.equal(refusal, 'budget');
  assert.equal(admitted, 1_280, 'every block settled in Redis with its calls\' real cost, and none reached past the budget');
  const scripts = (await scriptsRun()) - before;
  assert.ok(scripts < admitted / 5, `${scripts} scripts for ${admitted} calls`);
});

test('a block must fit whole in what is left, even with nothing else reserved; a call alone need not', async () => {
  const limits = new RedisLimits(await connect());
  const key = scope({ maxBudget: 1 });
  const request = { scope: key, costNano: 600_000_000, floorNano: 900_000_000, tokens: 0, windowEnd: undefined };
  const block = await limits.admit({ ...request, lease: 'block-1', whole: true });
  assert.ok(block !== undefined && !block.ok && block.reason === 'budget_held', JSON.stringify(block));
  const call = await limits.admit({ ...request, lease: 'call-1' });
  assert.ok(call?.ok === true, 'a call alone runs past what fits');
});

test('leases of calls and budget blocks in flight past their time to live are renewed, and go when the call is over', async () => {
  const connection = await connect();
  const [a, b] = [new LimitGate({ redis: connection, logger, leaseTtlMs: 300 }), new LimitGate({ redis: await connect(), logger, leaseTtlMs: 300 })];
  const client = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    const parallel = scope({ maxParallel: 1 });
    const budget = scope({ maxBudget: 10 }); // budget only: its call is admitted in a block of 1,024 calls' maximum ($0.1024)
    const long = await a.admit([parallel], { maxCostUsd: 0, tokens: 0 });
    const inBlock = await a.admit([budget], { maxCostUsd: 0.0001, tokens: 0 });
    assert.ok(!isDenial(long) && !isDenial(inBlock));
    await sleep(1_000); // over three times the leases' life; the block itself closed after 1 s
    assert.equal((await b.admit([parallel], { maxCostUsd: 0, tokens: 0 }) as Denial).reason, 'parallel', 'the long call still holds the only place');
    const [, , leases, held, spent] = new RedisLimits(connection).keys(budget, undefined);
    // Lapsed leases stay in the set until the next admission on the scope sweeps them: count the live ones (Redis runs on this machine's clock).
    assert.equal(await client.zcount(leases!, Date.now(), '+inf'), 1, 'the block with a call in flight keeps its lease');
    assert.equal(Number(Object.values(await client.hgetall(held!))[0]), 102_400_000, '... and its reservation');
    a.settle(long, 0, undefined);
    a.settle(inBlock, 0.00005, undefined);
    await sleep(100);
    assert.equal(await client.zcard(leases!), 0, 'settled with its last call');
    assert.equal(await client.get(spent!), '50000', 'the block\'s real cost');
    assert.ok(!isDenial(await b.admit([parallel], { maxCostUsd: 0, tokens: 0 })));
  } finally {
    client.disconnect();
    await Promise.all([a.close(), b.close()]);
  }
});

test('close() (a worker about to exit) settles its open budget block in Redis at once, with its calls\' cost', async () => {
  const connection = await connect();
  const gate = new LimitGate({ redis: connection, logger });
  const client = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    const budget = scope({ maxBudget: 10 });
    const [, , leases, , spent] = new RedisLimits(connection).keys(budget, undefined);
    for (let i = 0; i < 3; i++) {
      const call = await gate.admit([budget], { maxCostUsd: 0.0001, tokens: 0 });
      assert.ok(!isDenial(call));
      gate.settle(call, 0.00002, undefined);
    }
    assert.equal(await client.zcard(leases!), 1, 'the block is open, its lease held');
    assert.equal(await client.get(spent!), null, 'nothing settled in Redis yet');
    await gate.close();
    assert.equal(await client.zcard(leases!), 0);
    assert.equal(await client.get(spent!), '60000', 'the three calls\' real cost');
  } finally {
    client.disconnect();
  }
});

test('budget_duration: a window past its end starts fresh, before the reset job has run', async () => {
  const gate = new LimitGate({ redis: await connect(), logger });
  const now = Date.now();
  const key = scope({ maxBudget: 1, spend: 5, budgetDuration: '1s', budgetResetAt: now + 300 });
  const refused = await gate.admit([key], { maxCostUsd: 0.1, tokens: 0 });
  assert.ok(isDenial(refused) && refused.reason === 'budget');
  await sleep(400);
  assert.ok(!isDenial(await gate.admit([key], { maxCostUsd: 0.1, tokens: 0 })), 'the next window');
});

test('Redis away: the budget is checked against the cluster\'s spend as Redis last told it', async () => {
  const [a, b] = [new LimitGate({ redis: await connect(), logger }), new LimitGate({ redis: await connect(), logger })];
  const key = scope({ maxBudget: 1 });
  const call = await a.admit([key], { maxCostUsd: 0.5, tokens: 0 });
  assert.ok(!isDenial(call));
  a.settle(call, 1, undefined); // host A spends the whole budget
  await sleep(50);
  const seen = await b.admit([key], { maxCostUsd: 0.01, tokens: 0 });
  assert.ok(isDenial(seen) && seen.reason === 'budget' && seen.counting === 'redis');
  await redis.stop();
  try {
    const deadline = Date.now() + 3_000;
    while (connections.some((c) => c.available) && Date.now() < deadline) await sleep(20);
    const alone = await b.admit([key], { maxCostUsd: 0.01, tokens: 0 });
    assert.ok(isDenial(alone) && alone.reason === 'budget' && alone.counting === 'local', 'host B alone still knows the budget is spent');
  } finally {
    await redis.start();
  }
});

test('Redis away: counted locally, and the settlements are replayed when it returns', async () => {
  const connection = await connect();
  const gate = new LimitGate({ redis: connection, logger });
  const key = scope({ maxBudget: 10, rpm: 3 });
  await redis.stop();
  try {
    const deadline = Date.now() + 3_000;
    while (connection.available && Date.now() < deadline) await sleep(20);
    const results = await Promise.all(Array.from({ length: 4 }, () => gate.admit([key], { maxCostUsd: 0.1, tokens: 0 })));
    assert.deepEqual(results.map((r) => (isDenial(r) ? r.reason : 'ok')), ['ok', 'ok', 'ok', 'rpm'], 'the local count keeps the rpm');
    for (const r of results) if (!isDenial(r)) gate.settle(r, 0.25, undefined);
    assert.equal(gate.pendingSettlements, 3);
  } finally {
    await redis.start();
  }
  const back = Date.now() + 10_000;
  while (gate.pendingSettlements > 0 && Date.now() < back) await sleep(50);
  assert.equal(gate.pendingSettlements, 0, 'replayed');
  const other = new RedisLimits(connection);
  const spent = await connection.run('read', (r) => r.get(other.keys(key, undefined)[4]!));
  assert.equal(spent, String(0.75e9), 'the three calls\' cost reached Redis');
});
