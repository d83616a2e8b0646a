import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfigText, type Config } from '../../src/config/index.js';
import { GatewayError } from '../../src/core/index.js';
import type { ChatCompletion } from '../../src/protocol/index.js';
import type { Answer } from '../../src/providers/index.js';
import { createDeploymentClient } from '../../src/providers/index.js';
import { Router, type RouterObserver } from '../../src/router/index.js';
import { ManualClock, routerConfig, seededRandom, type ModelEntry } from '../support/router-fixtures.js';

/** The Router end to end over real mock-provider deployments (`mock_response`), no network. */

const ctx = () => ({ signal: new AbortController().signal, requestId: 'test' });

function router(config: Config, options: { observer?: RouterObserver; clock?: ManualClock } = {}): Router {
  const clients = config.deployments.map((d) => createDeploymentClient(d, config));
  return new Router(config, clients, { random: seededRandom(9), ...options });
}

async function answeredBy(r: Router, model: string, stream = false): Promise<string> {
  const routed = await r.chat({ model, messages: [{ role: 'user', content: 'hello there' }], stream }, ctx());
  return routed.deployment.id;
}

async function countAnswers(r: Router, model: string, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = await answeredBy(r, model);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const trio: ModelEntry[] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];

describe('health-aware routing', () => {
  test('with health-check routing on, an unhealthy deployment gets no traffic while the group has a healthy one', async () => {
    const states: Array<{ id: string; healthy: boolean }> = [];
    const r = router(routerConfig(trio, { enable_health_check_routing: true }), {
      observer: { onDeploymentState: (e) => states.push({ id: e.deployment.id, healthy: e.healthy }) },
    });
    r.setDeploymentHealth('a', false);
    const counts = await countAnswers(r, 'group', 300);
    assert.equal(counts.get('a'), undefined);
    assert.ok((counts.get('b') ?? 0) > 100 && (counts.get('c') ?? 0) > 100);
    assert.deepEqual(states, [{ id: 'a', healthy: false }]);
    assert.equal(r.deploymentStates().find((s) => s.deployment.id === 'a')?.healthy, false);

    r.setDeploymentHealth('b', false);
    r.setDeploymentHealth('c', false);
    const allDown = await countAnswers(r, 'group', 300);
    assert.equal(allDown.size, 3, 'with none healthy, every deployment is tried');

    r.setDeploymentHealth('a', true);
    assert.deepEqual([...(await countAnswers(r, 'group', 50)).keys()], ['a']);
    r.close();
  });

  test('with health-check routing off, health reports do not change routing', async () => {
    const r = router(routerConfig(trio));
    r.setDeploymentHealth('a', false);
    assert.ok(((await countAnswers(r, 'group', 300)).get('a') ?? 0) > 50);
    r.close();
  });
});

describe('routing through the Router', () => {
  test('order tiers: the lower tier takes all traffic', async () => {
    const r = router(routerConfig([{ id: 'primary', params: { order: 1 } }, { id: 'backup', params: { order: 2 } }]));
    assert.deepEqual([...(await countAnswers(r, 'group', 100)).keys()], ['primary']);
    r.close();
  });

  test('a first attempt that answers: one attempt, no retries, no fallbacks', async () => {
    const r = router(routerConfig(trio));
    const routed = await r.chat({ model: 'group', messages: [{ role: 'user', content: 'hi' }] }, ctx());
    assert.deepEqual({ attempts: routed.attempts, retries: routed.retries, fallbacks: routed.fallbacks, fallbackGroup: routed.fallbackGroup }, { attempts: 1, retries: 0, fallbacks: 0, fallbackGroup: undefined });
    await assert.rejects(r.chat({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }, ctx()), (e: unknown) => e instanceof GatewayError && e.code === 'model_not_found');
    r.close();
  });

  test('least-busy counts a stream as in flight until it has been read to the end', async () => {
    const r = router(routerConfig([{ id: 'x' }, { id: 'y' }], { routing_strategy: 'least-busy' }));
    const open = await r.chat({ model: 'group', messages: [{ role: 'user', content: 'stream please' }], stream: true }, ctx());
    const busy = open.deployment.id;
    const inFlight = () => Object.fromEntries(r.deploymentStates().map((s) => [s.deployment.id, s.inFlight]));
    assert.equal(inFlight()[busy], 1);
    for (let i = 0; i < 20; i++) assert.notEqual(await answeredBy(r, 'group'), busy);
    const answer = open.answer as Extract<Answer<ChatCompletion>, { stream: true }>;
    let events = 0;
    for await (const batch of answer.events) events += batch.length;
    assert.ok(events > 2);
    assert.deepEqual(Object.values(inFlight()), [0, 0]);
    r.close();
  });

  test('usage-based routing: a group out of rpm answers 429 with Retry-After, or its fallback answers', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 15));
    const config = routerConfig(
      [{ id: 'metered', name: 'metered', params: { rpm: 2 } }, { id: 'spare', name: 'spare' }],
      { routing_strategy: 'usage-based-routing-v2' },
    );
    const r = router(config, { clock });
    assert.equal(await answeredBy(r, 'metered'), 'metered');
    assert.equal(await answeredBy(r, 'metered'), 'metered');
    await assert.rejects(answeredBy(r, 'metered'), (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.status, 429);
      assert.equal(e.headers['retry-after'], '45');
      return true;
    });
    clock.advance(45_000);
    assert.equal(await answeredBy(r, 'metered'), 'metered', 'a new minute, a new allowance');
    r.close();

    const withFallback = router(routerConfig(
      [{ id: 'metered', name: 'metered', params: { rpm: 1 } }, { id: 'spare', name: 'spare' }],
      { routing_strategy: 'usage-based-routing-v2', fallbacks: [{ metered: ['spare'] }] },
    ), { clock });
    await answeredBy(withFallback, 'metered');
    const routed = await withFallback.chat({ model: 'metered', messages: [{ role: 'user', content: 'hi' }] }, ctx());
    assert.equal(routed.deployment.id, 'spare');
    assert.equal(routed.fallbackGroup, 'spare');
    assert.equal(routed.fallbacks, 1);
    withFallback.close();
  });
});

describe('usage-based routing and streams', () => {
  test('a stream counts the tokens of its usage chunk, not just the request\'s estimate', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 15));
    const long = 'word '.repeat(100).trim(); // ~125 tokens of answer against ~5 of request
    const r = router(routerConfig([{ id: 'metered', name: 'metered', params: { tpm: 50, mock_response: long } }], { routing_strategy: 'usage-based-routing-v2' }), { clock });
    const open = await r.chat({ model: 'metered', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }, ctx());
    const answer = open.answer as Extract<Answer<ChatCompletion>, { stream: true }>;
    let events = 0;
    for await (const batch of answer.events) events += batch.length;
    assert.ok(events > 100);
    await assert.rejects(answeredBy(r, 'metered'), (e: unknown) => e instanceof GatewayError && e.status === 429);
    r.close();
  });
});

describe('routing settings', () => {
  test('routing_strategy_args.lowest_latency_buffer is read (default 0.1); other strategy args are named in the unknown-key warning', () => {
    assert.equal(routerConfig(trio).router.latencyBuffer, 0.1);
    const loaded = loadConfigText(
      'model_list: [{model_name: g, litellm_params: {model: openai/x, mock_response: hi}}]\n'
        + 'router_settings: {routing_strategy: latency-based-routing, routing_strategy_args: {lowest_latency_buffer: "0.5", ttl: 3600}}\n',
      'args.yaml',
      { env: {} },
    );
    assert.ok(loaded.ok);
    assert.equal(loaded.value.config.router.latencyBuffer, 0.5);
    assert.match(loaded.value.warnings.join('\n'), /routing_strategy_args\.ttl/);
    const bad = loadConfigText('router_settings: {routing_strategy_args: {lowest_latency_buffer: -1}}\n', 'bad.yaml', { env: {} });
    assert.ok(!bad.ok);
    assert.match(JSON.stringify(bad.problems), /router_settings\.routing_strategy_args\.lowest_latency_buffer/);
  });
});
