import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { sleep, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { startRedisCluster, type RedisClusterProcess } from '../support/redis-topologies.js';
import { assertHostBAvoids, coolDownOnHostA } from '../support/shared-cooldown.js';
import { assertCacheSharedAcrossHosts, awayFromMinuteEnd, startLoad } from '../support/topology-features.js';

/**
 * Two gateway processes (two hosts) on a real Redis Cluster (3 primaries, 1 replica each),
 * configured with LiteLLM's `redis_startup_nodes`: shared health checks (one probe per deployment
 * per interval between them), shared cooldowns, usage and response cache, and then the primary
 * holding the cooldown keys' slot is SIGKILLed under load (half of it through the cache): no client
 * request fails, and cooldowns and the cache are shared again after the promotion.
 * No CROSSSLOT or MOVED ever reaches an error-level log line.
 */

const INTERVAL_S = 2;
const INTERVAL_MS = INTERVAL_S * 1000;
const NAMESPACE = 'switchyard';

let cluster: RedisClusterProcess;
let upstream: FakeUpstream;
let hostA: GatewayProcess;
let hostB: GatewayProcess;
let clientA: OpenAI;
let clientB: OpenAI;

before(async () => {
  [cluster, upstream] = await Promise.all([startRedisCluster({ primaries: 3, replicasPerPrimary: 1 }), startFakeUpstream()]);
  const deployment = (group: string, model: string, info: Record<string, unknown> = {}, params: Record<string, unknown> = {}) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key', ...params },
    model_info: { id: model, ...info },
  });
  const config = {
    model_list: [
      deployment('probed', 'p1'),
      deployment('probed', 'p2'),
      deployment('shared', 'shared-good', { disable_background_health_check: true }),
      deployment('shared', 'shared-bad', { disable_background_health_check: true }),
      deployment('second', 'second-good', { disable_background_health_check: true }),
      deployment('second', 'second-bad', { disable_background_health_check: true }),
      deployment('metered', 'metered', { disable_background_health_check: true }, { rpm: 3 }),
    ],
    litellm_settings: { cache: true, cache_params: { type: 'redis', mode: 'default_off' } },
    general_settings: { background_health_checks: true, health_check_interval: String(INTERVAL_S), use_shared_health_check: true },
    router_settings: { routing_strategy: 'usage-based-routing-v2', cooldown_time: 60, redis_startup_nodes: cluster.startupNodes },
  };
  const env = { DEFAULT_SHARED_HEALTH_CHECK_LOCK_TTL: '1.5' };
  [hostA, hostB] = await Promise.all([startGateway({ config, env }), startGateway({ config, env })]);
  clientA = new OpenAI({ baseURL: `${hostA.url}/v1`, apiKey: 'anything', maxRetries: 0 });
  clientB = new OpenAI({ baseURL: `${hostB.url}/v1`, apiKey: 'anything', maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
  await cluster.stop();
});

const hosts = () => ({ upstream, hostA, hostB, clientA, clientB });

const ask = (client: OpenAI, model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();




function probes(model: string, from: number, to: number): number {
  return upstream.requests.filter((r) => r.model === model && r.receivedAt >= from && r.receivedAt < to).length;
}

describe('on a Redis Cluster', () => {
  test('two hosts probe each deployment once per interval between them', async (t) => {
    await sleep(INTERVAL_MS); // both hosts past their first round
    const windowMs = 4 * INTERVAL_MS;
    const from = Date.now();
    await sleep(windowMs);
    const to = Date.now();
    const counts = ['p1', 'p2'].map((m) => probes(m, from, to));
    t.diagnostic(`probes in 4 intervals: p1 ${counts[0]}, p2 ${counts[1]}`);
    for (const count of counts) assert.ok(Math.abs(count - 4) <= 1, `${count} probes in 4 intervals across 2 sharing hosts (want 4 ± 1)`);
    const all = [...hostA.logs, ...hostB.logs];
    assert.ok(all.some((l) => l.msg === 'using cached health check results'), 'one host adopted the other\'s results');
  });

  test('a cooldown taken on one host is honoured by the other', async () => {
    await coolDownOnHostA(hosts(), 'shared', 'shared-bad');
    await assertHostBAvoids(hosts(), 'shared', 'shared-bad', 'shared-good', 5_000);
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

  test('readiness reports the cluster as a bounded ping sees it', async () => {
    const response = await fetch(`${hostA.url}/health/readiness`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(((await response.json()) as { redis?: unknown }).redis, 'connected');
  });

  test('the primary of the cooldown keys is SIGKILLed under load: no request fails; cooldowns are shared again after the promotion', async (t) => {
    const cooldownKey = `${NAMESPACE}:{${NAMESPACE}:router:cooldowns}:epoch`;
    const victim = cluster.primaryFor(cooldownKey);
    const load = startLoad([clientA, clientB], 'probed', 8);
    let killedAt = 0;
    let promotedAt = 0;
    let result;
    try {
      await sleep(300);
      killedAt = Date.now();
      await victim.kill();
      await cluster.waitPromoted(cooldownKey, victim.port);
      promotedAt = Date.now();
      await sleep(500);
    } finally {
      result = await load.stop();
    }
    const { latencies, failures } = result;
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${latencies.length + failures.length} requests failed`);
    await coolDownOnHostA(hosts(), 'second', 'second-bad');
    await assertHostBAvoids(hosts(), 'second', 'second-bad', 'second-good', 5_000);
    const resumedMs = Date.now() - promotedAt;
    await assertCacheSharedAcrossHosts(hosts(), 'probed', 'after the failover');
    t.diagnostic(`promotion ${promotedAt - killedAt} ms after the kill; ${latencies.length} requests served (half through the cache), 0 failed; sharing resumed ${resumedMs} ms after`);
  });

  test('no CROSSSLOT or MOVED error ever reached an error-level log line', () => {
    for (const gateway of [hostA, hostB]) {
      const bad = gateway.logs.filter((l) => l.level === 'error' && /CROSSSLOT|MOVED/.test(JSON.stringify(l)));
      assert.deepEqual(bad, []);
    }
  });
});
