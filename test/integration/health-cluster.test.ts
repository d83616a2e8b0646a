import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { Client } from 'undici';
import { sleep, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/**
 * Health checks across hosts: three gateway processes (two workers each) sharing one real
 * redis-server, next to three that do not share, all probing the same fake upstream every 2 s.
 * The shared cluster probes each deployment once per interval; the other one once per host per
 * interval (never once per worker). Then Redis goes away and comes back, and the lock holder is
 * killed in the middle of a round.
 */

const INTERVAL_S = 2;
const INTERVAL_MS = INTERVAL_S * 1000;
const LOCK_TTL_S = 1.5;
const MASTER_KEY = 'sk-health-cluster-master';
const TRAFFIC_TEXT = 'real traffic';

let redis: RedisProcess;
let upstream: FakeUpstream;
let shared: GatewayProcess[];
let local: GatewayProcess[];

function config(prefix: string, options: { shared: boolean; redisUrl?: string }) {
  const deployment = (group: string, model: string, info: Record<string, unknown> = {}) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key' },
    model_info: { id: model, ...info },
  });
  return {
    model_list: [
      deployment(`${prefix}-probed`, `${prefix}-p1`),
      deployment(`${prefix}-probed`, `${prefix}-p2`),
      deployment(`${prefix}-g`, `${prefix}-good`),
      deployment(`${prefix}-g`, `${prefix}-bad`),
      deployment('traffic', `${prefix}-traffic`, { disable_background_health_check: true }),
    ],
    general_settings: { master_key: MASTER_KEY, background_health_checks: true, health_check_interval: String(INTERVAL_S), use_shared_health_check: options.shared },
    router_settings: { enable_health_check_routing: true, ...(options.redisUrl === undefined ? {} : { redis_url: options.redisUrl }) },
  };
}

before(async () => {
  redis = await startRedis();
  upstream = await startFakeUpstream();
  upstream.behave('s-bad', { status: 500, errorMessage: 'deployment s-bad is broken' });
  const env = { SWITCHYARD_TEST_HOOKS: '1', DEFAULT_SHARED_HEALTH_CHECK_LOCK_TTL: String(LOCK_TTL_S) };
  const args = ['--num_workers', '2'];
  const sharedConfig = config('s', { shared: true, redisUrl: redis.url });
  const localConfig = config('l', { shared: false });
  const started = await Promise.all([
    ...[0, 1, 2].map(() => startGateway({ config: sharedConfig, args, env, readyTimeoutMs: 40_000 })),
    ...[0, 1, 2].map(() => startGateway({ config: localConfig, args, env, readyTimeoutMs: 40_000 })),
  ]);
  shared = started.slice(0, 3);
  local = started.slice(3);
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
  await redis.stop();
});

/** Probes (not client traffic) the upstream received for a model in [from, to). */
function probes(model: string, from: number, to = Infinity): number {
  return upstream.requests.filter((r) => r.model === model && r.receivedAt >= from && r.receivedAt < to && !isTraffic(r.body)).length;
}

function isTraffic(body: Record<string, unknown> | undefined): boolean {
  const messages = body?.messages as Array<{ content?: unknown }> | undefined;
  return messages?.[0]?.content === TRAFFIC_TEXT;
}

async function getJson(gateway: GatewayProcess, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` }, signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

const logged = (gateway: GatewayProcess, msg: string, since = 0) => gateway.logs.slice(since).filter((l: LogLine) => l.msg?.startsWith(msg));

describe('one probe per deployment per interval', () => {
  test('three sharing hosts probe each deployment once per interval; three hosts that do not share, three times', async (t) => {
    // Every host has results (its first round ran at start-up).
    for (const gateway of [...shared, ...local]) {
      await until('first results', async () => (await getJson(gateway, '/health')).body.timestamp !== null, 10_000);
    }
    const windowMs = 5 * INTERVAL_MS;
    const from = Date.now();
    await sleep(windowMs);
    const to = Date.now();
    const rounds = windowMs / INTERVAL_MS;
    t.diagnostic(`probes in ${rounds} intervals: ${['s-p1', 's-p2', 'l-p1', 'l-p2'].map((m) => `${m} ${probes(m, from, to)}`).join(', ')}`);
    for (const model of ['s-p1', 's-p2']) {
      const count = probes(model, from, to);
      assert.ok(Math.abs(count - rounds) <= 1, `${model}: ${count} probes in ${rounds} intervals across 3 sharing hosts (want ${rounds} ± 1)`);
    }
    for (const model of ['l-p1', 'l-p2']) {
      const count = probes(model, from, to);
      assert.ok(Math.abs(count - 3 * rounds) <= 3, `${model}: ${count} probes in ${rounds} intervals across 3 hosts (want ${3 * rounds} ± 3: one per host)`);
    }
    // disable_background_health_check: never probed by the schedule.
    assert.equal(probes('s-traffic', 0) + probes('l-traffic', 0), 0);
    // The coordination said what it did.
    for (const gateway of shared) assert.equal(logged(gateway, 'shared health check manager initialised').length, 1);
    const all = shared.flatMap((g) => g.logs);
    assert.ok(all.some((l) => l.msg === 'health check lock acquired'), 'a host took the lock');
    assert.ok(all.some((l) => l.msg === 'health check lock released'), 'and released it');
    assert.ok(all.some((l) => l.msg?.startsWith('cached health check results for 3 healthy and 1 unhealthy endpoints')), 'results cached with counts');
    assert.ok(all.some((l) => l.msg === 'using cached health check results'), 'other hosts adopted them');
    assert.ok(!all.some((l) => l.msg === 'health checks fall back to local probing'), 'no fallback while Redis is up');
  });
});

describe('every worker answers the same', () => {
  test('/health is the same on both workers of every host, and the same round on every sharing host', async () => {
    for (let attempt = 0; ; attempt++) {
      const answers: Array<{ host: number; pid: number; body: Record<string, unknown> }> = [];
      for (const [host, gateway] of shared.entries()) answers.push(...(await healthPerWorker(gateway, host)));
      // A round may land between two requests: then the timestamps differ and we ask again.
      const rounds = new Set(answers.map((a) => a.body.timestamp));
      if (rounds.size > 1 && attempt < 3) continue;
      assert.equal(new Set(answers.map((a) => `${a.host}:${a.pid}`)).size, 6, 'two workers on each of three hosts answered');
      const [first, ...rest] = answers.map((a) => withoutAge(a.body));
      for (const other of rest) assert.deepEqual(other, first);
      const body = first as { healthy_count: number; unhealthy_count: number; unhealthy_endpoints: Array<Record<string, unknown>> };
      assert.equal(body.healthy_count, 3);
      assert.equal(body.unhealthy_count, 1);
      assert.equal(body.unhealthy_endpoints[0]?.model_id, 's-bad');
      assert.match(String(body.unhealthy_endpoints[0]?.error), /deployment s-bad is broken/);
      assert.doesNotMatch(JSON.stringify(first), /sk-fake-upstream-key|sk-health-cluster-master/);
      return;
    }
  });

  test('a deployment failing its probes gets no traffic while its group has a healthy one', async () => {
    const before = upstream.requests.length;
    for (const gateway of shared) {
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
      for (let i = 0; i < 10; i++) {
        const { response } = await client.chat.completions.create({ model: 's-g', messages: [{ role: 'user', content: TRAFFIC_TEXT }] }).withResponse();
        assert.equal(response.headers.get('x-litellm-model-id'), 's-good');
        assert.equal(response.headers.get('x-litellm-attempted-retries'), '0');
      }
    }
    const traffic = upstream.requests.slice(before).filter((r) => isTraffic(r.body));
    assert.equal(traffic.filter((r) => r.model === 's-bad').length, 0, 's-bad got no traffic');
    assert.equal(traffic.filter((r) => r.model === 's-good').length, 30);
  });
});

describe('Redis goes away and comes back', () => {
  test('without Redis each host probes locally and serving is unaffected; with it back, sharing resumes within two intervals', async (t) => {
    // The hosts that do not share are done; they would only add load from here on.
    await Promise.all(local.map((g) => g.stop()));
    const marks = shared.map((g) => g.logs.length);
    let slowest = 0;
    let stopTraffic = false;
    const errors: string[] = [];
    const traffic = Promise.all(shared.map(async (gateway) => {
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 5_000 });
      for (let i = 0; i < 400 && !stopTraffic; i++) {
        const started = performance.now();
        try {
          await client.chat.completions.create({ model: 'traffic', messages: [{ role: 'user', content: TRAFFIC_TEXT }] });
        } catch (error) {
          errors.push(String(error));
        }
        slowest = Math.max(slowest, performance.now() - started);
        await sleep(50);
      }
    }));

    const stoppedAt = Date.now();
    let localCount = 0;
    await redis.stop();
    try {
      // Within an interval (plus one whose fresh results each host already had) every host notices.
      await sleep(2.5 * INTERVAL_MS);
      const from = Date.now();
      await sleep(2 * INTERVAL_MS);
      localCount = probes('s-p1', from, Date.now());
      assert.ok(localCount >= 5, `3 hosts probing on their own: ${localCount} probes of s-p1 in 2 intervals (want about 6)`);
      for (const [i, gateway] of shared.entries()) {
        const fallbacks = logged(gateway, 'health checks fall back to local probing', marks[i]);
        assert.ok(fallbacks.length > 0, `host ${i} fell back to local probing`);
        assert.match(String(fallbacks[0]?.reason), /redis unavailable/);
        const { body } = await getJson(gateway, '/health/shared-status');
        assert.equal(body.shared_health_check_enabled, true);
        assert.equal((body.status as { redis_available: boolean }).redis_available, false);
      }
      assert.ok(Date.now() - stoppedAt > 5_000);
    } finally {
      await redis.start();
    }
    const restartedAt = Date.now();
    // Two intervals to reconnect and tick; then one probe per interval again.
    await sleep(2 * INTERVAL_MS + 300);
    const from = Date.now();
    await sleep(2 * INTERVAL_MS);
    const sharedCount = probes('s-p1', from, Date.now());
    stopTraffic = true;
    await traffic;
    t.diagnostic(`s-p1 probes in 2 intervals: ${localCount} without Redis, ${sharedCount} once it is back; slowest request ${Math.round(slowest)} ms`);
    assert.ok(sharedCount <= 3, `sharing again: ${sharedCount} probes of s-p1 in 2 intervals (want 2 ± 1)`);
    for (const gateway of shared) {
      const { body } = await getJson(gateway, '/health/shared-status');
      const status = body.status as Record<string, unknown>;
      assert.equal(status.redis_available, true);
      assert.equal(status.cache_available, true);
      assert.ok(Number(status.cache_age_seconds) < 2 * INTERVAL_S, `fresh results in Redis (age ${String(status.cache_age_seconds)} s)`);
    }
    assert.ok(shared.some((g, i) => g.logs.slice(marks[i]).some((l) => l.msg?.startsWith('cached health check results') && Date.parse(String(l.time)) > restartedAt)));
    assert.deepEqual(errors, [], 'every request during the outage succeeded');
    assert.ok(slowest < 1_000, `no request delayed by a second or more (slowest ${Math.round(slowest)} ms)`);
  });
});

describe('the lock holder dies mid-round', () => {
  test('another host probes within lock TTL + interval', async (t) => {
    // A slow probe makes a round last 3 s, so that the holder can be killed in the middle of it.
    upstream.behave('s-p1', { delayMs: 3_000 });
    const marks = shared.map((g) => g.logs.length);
    let holder: GatewayProcess | undefined;
    await until('a host taking the lock', () => {
      holder = shared.find((g, i) => logged(g, 'health check lock acquired', marks[i]).length > 0);
      return holder !== undefined;
    }, 3 * INTERVAL_MS);
    await sleep(300);
    holder!.proc.kill('SIGKILL');
    const killedAt = Date.now();
    const survivors = shared.filter((g) => g !== holder);
    await until('a probe from another host', () => probes('s-p2', killedAt) > 0, (LOCK_TTL_S * 1000 + INTERVAL_MS) * 2);
    const first = upstream.requests.find((r) => r.model === 's-p2' && r.receivedAt >= killedAt)!;
    const delay = first.receivedAt - killedAt;
    upstream.behave('s-p1', {});
    t.diagnostic(`a survivor's first probe came ${delay} ms after the holder was killed`);
    assert.ok(delay < LOCK_TTL_S * 1000 + INTERVAL_MS, `a survivor probed ${delay} ms after the kill (want < ${LOCK_TTL_S * 1000 + INTERVAL_MS} ms)`);
    assert.ok(survivors.some((g) => g.logs.some((l) => l.msg === 'health check lock acquired' && Date.parse(String(l.time)) >= killedAt - 50)), 'a survivor took the lock');
  });
});

/** `/health` from each worker of a host: one connection each (whoami, then /health on it) until both answered. */
async function healthPerWorker(gateway: GatewayProcess, host: number): Promise<Array<{ host: number; pid: number; body: Record<string, unknown> }>> {
  const byPid = new Map<number, Record<string, unknown>>();
  for (let i = 0; i < 40 && byPid.size < 2; i++) {
    const client = new Client(gateway.url, { pipelining: 1 });
    try {
      const who = await client.request({ path: '/__test/whoami', method: 'GET' });
      const { pid } = (await who.body.json()) as { pid: number };
      const health = await client.request({ path: '/health', method: 'GET', headers: { authorization: `Bearer ${MASTER_KEY}` } });
      assert.equal(health.statusCode, 200);
      byPid.set(pid, (await health.body.json()) as Record<string, unknown>);
    } finally {
      await client.close();
    }
  }
  return [...byPid].map(([pid, body]) => ({ host, pid, body }));
}

function withoutAge(body: Record<string, unknown>): Record<string, unknown> {
  const { age_seconds: _age, ...rest } = body;
  return rest;
}
