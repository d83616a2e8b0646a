import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startRedisCluster, startRedisSentinel, type RedisClusterProcess, type RedisSentinelProcess } from '../support/redis-topologies.js';

/**
 * Virtual keys on the Redis topologies teams run (issue 21's rule: every shared feature on both):
 * two hosts sharing PostgreSQL and a Redis Cluster, then a Sentinel-managed Redis. A key made on
 * host A works on host B within a second, and a block on A stops it on B within a second: the
 * key-change messages cross the topology (pub/sub on a cluster reaches every node's subscribers).
 * A key's limits hold for both hosts together (src/limits): its key and team scopes are two
 * scripts on two hash tags, so a cluster runs each on one slot (no CROSSSLOT, which would leave
 * every worker counting alone).
 */

const MASTER = 'sk-master-of-topologies';

let upstream: FakeUpstream;
let db: TestDatabase;
let cluster: RedisClusterProcess | undefined;
let sentinel: RedisSentinelProcess | undefined;

before(async () => {
  [upstream, db] = await Promise.all([startFakeUpstream(), createTestDatabase()]);
});

after(async () => {
  await stopAllGateways();
  await cluster?.stop();
  await sentinel?.stop();
  await upstream.close();
  await db.drop();
});

function config(redis: Record<string, unknown>): object {
  return {
    model_list: [{ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream.url}/v1`, api_key: 'sk-upstream' } }],
    general_settings: { master_key: MASTER },
    router_settings: redis,
  };
}

async function call(gateway: GatewayProcess, path: string, key: string, body: unknown): Promise<number> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  await response.arrayBuffer();
  return response.status;
}

const chat = (gateway: GatewayProcess, key: string) => call(gateway, '/v1/chat/completions', key, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

/** Ms until `ok` holds for 6 answers in a row; fails past `limitMs` (and a margin for the polls themselves). */
async function until(what: string, ok: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = Date.now();
  let inRow = 0;
  while (Date.now() - started < limitMs + 2_000) {
    inRow = (await ok()) ? inRow + 1 : 0;
    if (inRow >= 6) return Date.now() - started;
  }
  assert.fail(`${what}: not within ${limitMs} ms`);
}

async function keyChangesCross(redis: Record<string, unknown>, label: string): Promise<void> {
  const [a, b] = await Promise.all([
    startGateway({ config: config(redis), args: ['--num_workers', '2'], env: { DATABASE_URL: db.url } }),
    startGateway({ config: config(redis), args: ['--num_workers', '2'], env: { DATABASE_URL: db.url } }),
  ]);
  const key = `sk-${label}-${Date.now()}`;
  assert.equal(await chat(b, key), 401, 'B has heard of the key before it exists (held as unknown)');
  assert.equal(await call(a, '/key/generate', MASTER, { key, key_alias: label, models: ['gpt-4o'] }), 200);
  const works = await until(`${label}: key works on B`, async () => (await chat(b, key)) === 200, 1_000);
  assert.ok(works <= 1_000, `made: ${works} ms`);
  assert.equal(await call(a, '/key/block', MASTER, { key }), 200);
  const stops = await until(`${label}: block reaches B`, async () => (await chat(b, key)) === 401, 1_000);
  assert.ok(stops <= 1_000, `blocked: ${stops} ms`);
  await limitsHoldAcrossHosts(a, b, label);
  await Promise.all([a.stop(), b.stop()]);
}

/** rpm_limit 10 on a key of a team with its own rpm_limit (two scopes, two slots; no budget here, so no worker stalls loading the tokenizer on this loaded machine): 10 of 14 calls across both hosts, counted in Redis. */
async function limitsHoldAcrossHosts(a: GatewayProcess, b: GatewayProcess, label: string): Promise<void> {
  const team = `team-${label}-${Date.now()}`;
  assert.equal(await call(a, '/team/new', MASTER, { team_id: team, rpm_limit: 1_000 }), 200);
  const key = `sk-limited-${label}-${Date.now()}`;
  assert.equal(await call(a, '/key/generate', MASTER, { key, team_id: team, user_id: `user-${label}`, rpm_limit: 10 }), 200);
  const statuses = await Promise.all(Array.from({ length: 14 }, (_, i) => chat(i % 2 === 0 ? a : b, key)));
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // every worker has pushed its metrics to its primary
  const counted = { redis: 0, local: 0 };
  for (const host of [a, b]) {
    const metrics = await (await fetch(`${host.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
    for (const way of ['redis', 'local'] as const) counted[way] += Number(new RegExp(`switchyard_limit_admissions_total\\{counting="${way}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  }
  // A CROSSSLOT refusal would leave every worker counting alone (14 of 14, none in Redis). A command
  // past its timeout on this loaded machine may count a call locally (the designed fallback): it may pass beside the 10.
  const served = statuses.filter((s) => s === 200).length;
  assert.equal(counted.redis + counted.local, served, `${label}: admissions ${JSON.stringify(counted)}`);
  assert.ok(counted.redis > counted.local, `${label}: counted in Redis ${JSON.stringify(counted)}`);
  assert.ok(served >= 10 && served <= 10 + counted.local, `${label}: ${statuses.join(',')} with ${JSON.stringify(counted)}`);
  assert.equal(statuses.filter((s) => s !== 200 && s !== 429).length, 0);
}

describe('virtual keys across two hosts', () => {
  test('on a Redis Cluster: a key made and blocked on A reaches B within 1 s; its limits hold for both', async () => {
    cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 0 });
    await keyChangesCross({ redis_startup_nodes: cluster.startupNodes }, 'cluster');
  });

  test('on a Sentinel-managed Redis: a key made and blocked on A reaches B within 1 s; its limits hold for both', async () => {
    sentinel = await startRedisSentinel();
    await keyChangesCross({ service_name: sentinel.serviceName, sentinel_nodes: sentinel.sentinelNodes }, 'sentinel');
  });
});
