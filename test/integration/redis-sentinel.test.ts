import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { sleep, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { cli, startRedisSentinel, type RedisSentinelProcess } from '../support/redis-topologies.js';
import { assertHostBAvoids, cooling, coolDownOnHostA } from '../support/shared-cooldown.js';
import { assertCacheSharedAcrossHosts, awayFromMinuteEnd, longestDoubleHold, percentile, startLoad } from '../support/topology-features.js';

/**
 * Two gateway processes (two hosts) on a Sentinel-managed Redis (1 primary, 1 replica,
 * 3 sentinels), configured with LiteLLM's `service_name` + `sentinel_nodes`: shared health checks,
 * cooldowns, usage and the response cache work; then the primary is SIGKILLed under load (16
 * keep-alive connections across both hosts, half of them through the cache): no client request
 * fails, a new cooldown is shared within 5 s of the promotion, the health lock is never held by
 * both hosts for longer than its TTL, and the cache is shared again. Then, on a second topology, a
 * planned failover (the old primary still up): both hosts follow the new primary at once.
 */

const INTERVAL_S = 2;
const LOCK_TTL_MS = 1_500;
const LOAD_CONNECTIONS = 16;
/** A health round lasts this long (one slow deployment), so that a kill can find the lock held. */
const SLOW_PROBE_MS = 1_200;

let sentinel: RedisSentinelProcess;
let upstream: FakeUpstream;
let hostA: GatewayProcess;
let hostB: GatewayProcess;
let clientA: OpenAI;
let clientB: OpenAI;

before(async () => {
  [sentinel, upstream] = await Promise.all([startRedisSentinel(), startFakeUpstream()]);
  upstream.behave('slow-probed', { delayMs: SLOW_PROBE_MS });
  const deployment = (group: string, model: string, info: Record<string, unknown> = {}, params: Record<string, unknown> = {}) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key', ...params },
    model_info: { id: model, ...info },
  });
  const unprobed = { disable_background_health_check: true };
  const config = {
    model_list: [
      deployment('probed', 'p1'),
      deployment('probed', 'p2'),
      deployment('slow', 'slow-probed'),
      deployment('shared', 'shared-good', unprobed),
      deployment('shared', 'shared-bad', unprobed),
      deployment('second', 'second-good', unprobed),
      deployment('second', 'second-bad', unprobed),
      deployment('metered', 'metered', unprobed, { rpm: 3 }),
    ],
    general_settings: { background_health_checks: true, health_check_interval: String(INTERVAL_S), use_shared_health_check: true },
    litellm_settings: {
      cache: true,
      cache_params: { type: 'redis', service_name: sentinel.serviceName, sentinel_nodes: sentinel.sentinelNodes, mode: 'default_off' },
    },
    router_settings: { routing_strategy: 'usage-based-routing-v2', cooldown_time: 60 },
  };
  const env = { DEFAULT_SHARED_HEALTH_CHECK_LOCK_TTL: String(LOCK_TTL_MS / 1000) };
  [hostA, hostB] = await Promise.all([startGateway({ config, env }), startGateway({ config, env })]);
  clientA = new OpenAI({ baseURL: `${hostA.url}/v1`, apiKey: 'anything', maxRetries: 0 });
  clientB = new OpenAI({ baseURL: `${hostB.url}/v1`, apiKey: 'anything', maxRetries: 0 });
});

let planned: RedisSentinelProcess | undefined;

after(async () => {
  await stopAllGateways();
  await upstream?.close();
  await sentinel?.stop();
  await planned?.stop();
});

const hosts = () => ({ upstream, hostA, hostB, clientA, clientB });

const ask = (client: OpenAI, model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();

async function readiness(gateway: GatewayProcess): Promise<unknown> {
  const response = await fetch(`${gateway.url}/health/readiness`, { signal: AbortSignal.timeout(5_000) });
  return ((await response.json()) as { redis?: unknown }).redis;
}

describe('on a Sentinel-managed Redis', () => {
  test('health results and cooldowns are shared between two hosts; readiness says connected', async () => {
    await coolDownOnHostA(hosts(), 'shared', 'shared-bad');
    await assertHostBAvoids(hosts(), 'shared', 'shared-bad', 'shared-good', 5_000);
    await hostA.waitForLog(() => [...hostA.logs, ...hostB.logs].some((l) => l.msg === 'using cached health check results'), 3 * INTERVAL_S * 1000, 'a host adopting the other\'s health results');
    assert.equal(await readiness(hostA), 'connected');
    assert.equal(await readiness(hostB), 'connected');
  });

  test('usage-based routing sees both hosts\' traffic against a deployment\'s rpm', async () => {
    await awayFromMinuteEnd();
    await ask(clientA, 'metered');
    await ask(clientA, 'metered');
    await sleep(1_200); // a few shared-state rounds
    const { response } = await ask(clientB, 'metered'); // B's first: the third of the minute
    assert.equal(response.status, 200);
    await sleep(1_200);
    for (const client of [clientA, clientB]) {
      await assert.rejects(ask(client, 'metered'), (error: unknown) => error instanceof OpenAI.RateLimitError);
    }
    assert.equal(upstream.count('metered'), 3);
  });

  test('the response cache: an answer stored through one host is served by the other', async () => {
    await assertCacheSharedAcrossHosts(hosts(), 'probed', 'before the failover');
  });

  test('primary SIGKILLed under load: 0 failed requests; cooldowns, health results and the cache shared again (cooldowns within 5 s of the promotion); the lock never held twice for longer than its TTL', async (t) => {
    const load = startLoad([clientA, clientB], 'probed', LOAD_CONNECTIONS);
    let killedAt = 0;
    let promotedAt = 0;
    let sharedAt = 0;
    let result;
    try {
      await sleep(1_000);
      // Kill while a host holds the health lock and probes (a round lasts SLOW_PROBE_MS).
      const mark = { a: hostA.logs.length, b: hostB.logs.length };
      await hostA.waitForLog(
        () => hostA.logs.slice(mark.a).some((l) => l.msg === 'health check lock acquired') || hostB.logs.slice(mark.b).some((l) => l.msg === 'health check lock acquired'),
        3 * INTERVAL_S * 1000, 'a host taking the health lock',
      );
      await sleep(200);
      killedAt = Date.now();
      await sentinel.primary.kill();
      const deadline = Date.now() + 15_000;
      while (sentinel.currentPrimaryPort() !== sentinel.replica.port) {
        assert.ok(Date.now() < deadline, 'the sentinels never promoted the replica');
        await sleep(50);
      }
      promotedAt = Date.now();
      await coolDownOnHostA(hosts(), 'second', 'second-bad');
      await assertHostBAvoids(hosts(), 'second', 'second-bad', 'second-good', 5_000);
      const learned = hostB.logs.find(cooling('second-bad', 'shared'));
      sharedAt = Date.parse(String(learned?.time));
      await sleep(2 * INTERVAL_S * 1000); // health rounds on the promoted replica, under load
    } finally {
      result = await load.stop();
    }
    const { latencies, failures } = result;
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${latencies.length + failures.length} requests failed`);
    assert.ok(sharedAt - promotedAt <= 5_000, `cooldown shared ${sharedAt - promotedAt} ms after the promotion`);
    assert.equal(await readiness(hostA), 'connected');
    assert.equal(await readiness(hostB), 'connected');
    const adoptedAfter = [...hostA.logs, ...hostB.logs].filter((l) => l.msg === 'using cached health check results' && Date.parse(String(l.time)) > promotedAt);
    assert.ok(adoptedAfter.length >= 1, 'health results shared again after the promotion');
    const doubleHold = longestDoubleHold(hostA, hostB);
    assert.ok(doubleHold <= LOCK_TTL_MS, `both hosts held the health lock for ${doubleHold} ms (ttl ${LOCK_TTL_MS})`);
    await assertCacheSharedAcrossHosts(hosts(), 'probed', 'after the failover');
    const before = latencies.filter((l) => l.at < killedAt).map((l) => l.ms);
    const during = latencies.filter((l) => l.at >= killedAt && l.at <= promotedAt + 1_000).map((l) => l.ms);
    const outage = (gateway: GatewayProcess) => gateway.logs.filter((l) => l.msg?.startsWith('redis available again') === true && l.role === 'worker').map((l) => l.outage_ms);
    t.diagnostic(
      `promotion ${promotedAt - killedAt} ms after the kill; ${latencies.length} requests, 0 failed; ` +
        `p50/p99 before ${percentile(before, 50).toFixed(1)}/${percentile(before, 99).toFixed(1)} ms, ` +
        `kill to promotion + 1 s ${percentile(during, 50).toFixed(1)}/${percentile(during, 99).toFixed(1)} ms (max ${Math.max(...during).toFixed(1)}); ` +
        `cooldown shared ${sharedAt - promotedAt} ms after the promotion; workers' outages ${JSON.stringify(outage(hostA))} ${JSON.stringify(outage(hostB))} ms; ` +
        `longest double hold of the health lock ${doubleHold} ms; ioredis clients restarted after giving up ${[hostA, hostB].map((g) => g.logs.filter((l) => l.msg === 'redis client gave up reconnecting; connecting again').length).join('+')}; lock lapses logged ${[hostA, hostB].map((g) => g.logs.filter((l) => l.msg?.startsWith('health check lock lapsed') === true).length).join('+')}`,
    );
  });
});

describe('a planned failover (SENTINEL FAILOVER), the old primary still up', () => {
  test('both hosts follow the new primary at once: a cooldown taken just after the switch lands there, not on the old primary', async () => {
    planned = await startRedisSentinel();
    const deployment = (model: string) => ({
      model_name: 'shared',
      litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key' },
      model_info: { id: model },
    });
    const config = {
      model_list: [deployment('planned-good'), deployment('planned-bad')],
      litellm_settings: { cache_params: { type: 'redis', service_name: planned.serviceName, sentinel_nodes: planned.sentinelNodes } },
      router_settings: { routing_strategy: 'usage-based-routing-v2', cooldown_time: 60 },
    };
    const [c, d] = await Promise.all([startGateway({ config }), startGateway({ config })]);
    const pair = {
      upstream, hostA: c, hostB: d,
      clientA: new OpenAI({ baseURL: `${c.url}/v1`, apiKey: 'anything', maxRetries: 0 }),
      clientB: new OpenAI({ baseURL: `${d.url}/v1`, apiKey: 'anything', maxRetries: 0 }),
    };
    assert.equal(await readiness(c), 'connected');
    assert.equal(await readiness(d), 'connected');
    const switchedFrom = Date.now();
    assert.equal(cli(planned.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', planned.serviceName), 'OK');
    while (planned.currentPrimaryPort() !== planned.replica.port) {
      assert.ok(Date.now() - switchedFrom < 15_000, 'the sentinels never switched');
      await sleep(50);
    }
    // The old primary still says it is one (the sentinels demote it only on their next look, ~10 s).
    assert.match(String(cli(planned.primary.port, 'ROLE')), /^master/);
    await coolDownOnHostA(pair, 'shared', 'planned-bad');
    const key = 'switchyard:{switchyard:router:cooldowns}:cooldown:planned-bad';
    const deadline = Date.now() + 3_000;
    while (cli(planned.replica.port, 'EXISTS', key) !== '1') {
      assert.ok(Date.now() < deadline, `the cooldown never reached the new primary (old primary has it: ${cli(planned.primary.port, 'EXISTS', key)})`);
      await sleep(50);
    }
    await assertHostBAvoids(pair, 'shared', 'planned-bad', 'planned-good', 5_000);
  });
});
