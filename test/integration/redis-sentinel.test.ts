import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { sleep, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { startRedisSentinel, type RedisSentinelProcess } from '../support/redis-topologies.js';
import { assertHostBAvoids, coolDownOnHostA } from '../support/shared-cooldown.js';

/**
 * Two gateway processes (two hosts) on a Sentinel-managed Redis (1 primary, 1 replica,
 * 3 sentinels), configured with LiteLLM's `service_name` + `sentinel_nodes`: shared health checks
 * and cooldowns work; then the primary is SIGKILLed under load (16 keep-alive connections across
 * both hosts): no client request fails, and a new cooldown is shared within 5 s of the promotion.
 */

// Not yet passing: through the gateway, readiness said 'unavailable' on a connected Sentinel setup
// and a new cooldown was not shared within 5 s of the promotion, while a bare RedisConnection
// against the same helper reconnects to the promoted replica ~2.4 s after the kill. Kept (skipped)
// as the spec for the next step; see the issue 21 report.
const SKIP = 'sentinel failover through the gateway not finished (issue 21)';

const INTERVAL_S = 2;
const LOAD_CONNECTIONS = 16;

let sentinel: RedisSentinelProcess;
let upstream: FakeUpstream;
let hostA: GatewayProcess;
let hostB: GatewayProcess;
let clientA: OpenAI;
let clientB: OpenAI;

before(async () => {
  if (SKIP) return;
  [sentinel, upstream] = await Promise.all([startRedisSentinel(), startFakeUpstream()]);
  const deployment = (group: string, model: string, info: Record<string, unknown> = {}) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key' },
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
    ],
    general_settings: { background_health_checks: true, health_check_interval: String(INTERVAL_S), use_shared_health_check: true },
    litellm_settings: { cache_params: { type: 'redis', service_name: sentinel.serviceName, sentinel_nodes: sentinel.sentinelNodes } },
    router_settings: { routing_strategy: 'usage-based-routing-v2', cooldown_time: 60 },
  };
  const env = { DEFAULT_SHARED_HEALTH_CHECK_LOCK_TTL: '1.5' };
  [hostA, hostB] = await Promise.all([startGateway({ config, env }), startGateway({ config, env })]);
  clientA = new OpenAI({ baseURL: `${hostA.url}/v1`, apiKey: 'anything', maxRetries: 0 });
  clientB = new OpenAI({ baseURL: `${hostB.url}/v1`, apiKey: 'anything', maxRetries: 0 });
});

after(async () => {
  if (SKIP) return;
  await stopAllGateways();
  await upstream.close();
  await sentinel.stop();
});

const hosts = () => ({ upstream, hostA, hostB, clientA, clientB });

const ask = (client: OpenAI, model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse();




async function readiness(gateway: GatewayProcess): Promise<unknown> {
  const response = await fetch(`${gateway.url}/health/readiness`, { signal: AbortSignal.timeout(5_000) });
  return ((await response.json()) as { redis?: unknown }).redis;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

describe('on a Sentinel-managed Redis', { skip: SKIP }, () => {
  test('health results and cooldowns are shared between two hosts; readiness says connected', async () => {
    await coolDownOnHostA(hosts(), 'shared', 'shared-bad');
    await assertHostBAvoids(hosts(), 'shared', 'shared-bad', 'shared-good', 5_000);
    await hostA.waitForLog(() => [...hostA.logs, ...hostB.logs].some((l) => l.msg === 'using cached health check results'), 3 * INTERVAL_S * 1000, 'a host adopting the other\'s health results');
    assert.equal(await readiness(hostA), 'connected');
  });

  test('primary SIGKILLed under load: 0 failed requests; cooldowns shared again within 5 s of the promotion', async (t) => {
    const latencies: Array<{ at: number; ms: number }> = [];
    let failed = 0;
    let stop = false;
    const load = Array.from({ length: LOAD_CONNECTIONS }, async (_, i) => {
      while (!stop) {
        const started = performance.now();
        try {
          const { response } = await ask(i % 2 === 0 ? clientA : clientB, 'probed');
          if (response.status !== 200) failed++;
          latencies.push({ at: Date.now(), ms: performance.now() - started });
        } catch {
          failed++;
        }
      }
    });
    await sleep(1_000);
    const killedAt = Date.now();
    await sentinel.primary.kill();
    const deadline = Date.now() + 15_000;
    while (sentinel.currentPrimaryPort() !== sentinel.replica.port) {
      assert.ok(Date.now() < deadline, 'the sentinels never promoted the replica');
      await sleep(50);
    }
    const promotedAt = Date.now();
    await coolDownOnHostA(hosts(), 'second', 'second-bad');
    await assertHostBAvoids(hosts(), 'second', 'second-bad', 'second-good', 5_000);
    const resumedMs = Date.now() - promotedAt;
    await sleep(500);
    stop = true;
    await Promise.all(load);
    assert.equal(failed, 0, `${failed} of ${latencies.length + failed} requests failed`);
    assert.equal(await readiness(hostA), 'connected');
    assert.equal(await readiness(hostB), 'connected');
    const before = latencies.filter((l) => l.at < killedAt).map((l) => l.ms);
    const during = latencies.filter((l) => l.at >= killedAt && l.at <= promotedAt + 1_000).map((l) => l.ms);
    t.diagnostic(
      `promotion ${promotedAt - killedAt} ms after the kill; ${latencies.length} requests, 0 failed; ` +
        `p50/p99 before ${percentile(before, 50).toFixed(1)}/${percentile(before, 99).toFixed(1)} ms, ` +
        `during failover ${percentile(during, 50).toFixed(1)}/${percentile(during, 99).toFixed(1)} ms; cooldown shared ${resumedMs} ms after the promotion`,
    );
  });
});
