import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/index.js';
import { createDeploymentClient } from '../../src/providers/index.js';
import { Router, type RouterObserver } from '../../src/router/index.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';

/**
 * The router in this process against the fake upstream, watched through its observer: the hook
 * the metrics work wires (attempts, retries, fallbacks, cooldowns, deployment state).
 */

let upstream: FakeUpstream;
let router: Router;
const events: Array<{ hook: string; [key: string]: unknown }> = [];

before(async () => {
  upstream = await startFakeUpstream();
  const deployment = (group: string, model: string) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key', max_retries: 0 },
    model_info: { id: model },
  });
  const loaded = loadConfigText(stringify({
    model_list: [deployment('pair', 'good'), deployment('pair', 'bad'), deployment('first', 'first'), deployment('second', 'second')],
    router_settings: { allowed_fails: 0, cooldown_time: 30, fallbacks: [{ first: ['second'] }] },
  }), 'observer.yaml', { env: {} });
  assert.ok(loaded.ok);
  const config = loaded.value.config;
  const observer: RouterObserver = {
    onAttempt: (e) => events.push({ hook: 'attempt', id: e.deployment.id, ok: e.ok, failure: e.failure }),
    onRetry: (e) => events.push({ hook: 'retry', failed: e.failed.id, failure: e.failure, delayMs: e.delayMs }),
    onFallback: (e) => events.push({ hook: 'fallback', from: e.from, to: e.to, failure: e.failure }),
    onCooldown: (e) => events.push({ hook: 'cooldown', id: e.deployment.id, reason: e.reason, durationMs: e.durationMs }),
    onDeploymentState: (e) => events.push({ hook: 'state', id: e.deployment.id, coolingDown: e.coolingDown, healthy: e.healthy }),
  };
  router = new Router(config, config.deployments.map((d) => createDeploymentClient(d, config)), { observer });
});

after(async () => {
  router.close();
  await upstream.close();
});

const ctx = () => ({ signal: new AbortController().signal, requestId: 'observer-test' });
const chat = (model: string) => router.chat({ model, messages: [{ role: 'user', content: 'hi' }] }, ctx());

describe('router observer', () => {
  test('a failing deployment: failed attempt, cooldown and state change, an immediate retry elsewhere, then success', async () => {
    upstream.behave('bad', { status: 500 });
    for (let i = 0; i < 40 && upstream.count('bad') === 0; i++) {
      const routed = await chat('pair');
      assert.equal(routed.deployment.id, 'good');
    }
    assert.equal(upstream.count('bad'), 1);
    const from = events.findIndex((e) => e.hook === 'attempt' && e.id === 'bad');
    assert.deepEqual(events.slice(from, from + 5), [
      { hook: 'attempt', id: 'bad', ok: false, failure: 'transient' },
      { hook: 'cooldown', id: 'bad', reason: 'failures', durationMs: 30_000 },
      { hook: 'state', id: 'bad', coolingDown: true, healthy: true },
      { hook: 'retry', failed: 'bad', failure: 'transient', delayMs: 0 },
      { hook: 'attempt', id: 'good', ok: true, failure: undefined },
    ]);
    const state = router.deploymentStates().find((s) => s.deployment.id === 'bad');
    assert.equal(state?.coolingDown, true);
    assert.ok((state?.cooldownRemainingMs ?? 0) > 25_000);
  });

  test('a failing group: its failed attempt, then the fallback', async () => {
    events.length = 0;
    upstream.behave('first', { status: 503 });
    const routed = await chat('first');
    assert.equal(routed.fallbackGroup, 'second');
    assert.deepEqual(events, [
      { hook: 'attempt', id: 'first', ok: false, failure: 'transient' },
      { hook: 'fallback', from: 'first', to: 'second', failure: 'transient' },
      { hook: 'attempt', id: 'second', ok: true, failure: undefined },
    ]);
  });
});
