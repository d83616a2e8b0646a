import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/index.js';
import { Cancellation, GatewayError, upstreamFailure } from '../../src/core/index.js';
import type { ChatCompletionRequest } from '../../src/protocol/index.js';
import { closeAllPools, createDeploymentClient } from '../../src/providers/index.js';
import { sendUpstream } from '../../src/providers/http-pool.js';
import { fallbacksFor } from '../../src/router/fallback-plan.js';
import { classifyFailure, countsAgainstDeployment, isRetryable, type FailureKind } from '../../src/router/failure-kind.js';
import { Router } from '../../src/router/index.js';
import { freePort } from '../support/ports.js';

/**
 * Blame follows where an error comes from, not what it says: only an upstream's own answer or a
 * transport failure to it counts against a deployment. A failure of the gateway's own is neither
 * retried, nor charged, nor fallen back from.
 */

describe('failure kinds by origin', () => {
  const cases: Array<[string, unknown, FailureKind]> = [
    ['a TypeError (a bug)', new TypeError('x.forEach is not a function'), 'internal'],
    ['a RangeError (stack overflow)', new RangeError('Maximum call stack size exceeded'), 'internal'],
    ['a gateway internal_error', new GatewayError('internal_error', 'bug'), 'internal'],
    ['a drain giving up', new GatewayError('shutting_down', 'draining'), 'internal'],
    ['an upstream_error the gateway made up', new GatewayError('upstream_error', 'guess'), 'internal'],
    ['the upstream\'s 5xx', upstreamFailure('upstream_error', 'HTTP 500', { upstreamStatus: 500 }), 'transient'],
    ['the upstream\'s malformed answer', upstreamFailure('upstream_invalid_response', 'not JSON'), 'transient'],
    ['a timeout reaching the upstream', upstreamFailure('upstream_timeout', 'slow'), 'transient'],
    ['a request the gateway cannot translate', new GatewayError('invalid_request', 'n must be 1', { param: 'n' }), 'bad_request'],
    ['the upstream\'s 400', upstreamFailure('upstream_client_error', 'bad logit_bias', { status: 400, upstreamStatus: 400 }), 'bad_request'],
    ['the upstream\'s 401', upstreamFailure('upstream_client_error', 'bad key', { status: 401, upstreamStatus: 401 }), 'deployment_broken'],
    ['the upstream\'s 429', upstreamFailure('rate_limited', 'slow down', { upstreamStatus: 429 }), 'rate_limited'],
    ['the group over its own rpm', new GatewayError('rate_limited', 'over rpm'), 'unavailable'],
    ['an unimplemented provider', new GatewayError('not_implemented', 'bedrock'), 'deployment_broken'],
  ];
  for (const [what, error, kind] of cases) {
    test(`${what}: ${kind}`, () => assert.equal(classifyFailure(error), kind));
  }

  test('a failure of the gateway\'s own: no retry, no blame, no fallback', () => {
    assert.equal(isRetryable('internal'), false);
    assert.equal(countsAgainstDeployment('internal'), false);
    const settings = { fallbacks: { '*': ['other'] }, contextWindowFallbacks: {}, contentPolicyFallbacks: {}, defaultFallbacks: ['other'] };
    assert.deepEqual(fallbacksFor(settings, 'group', 'internal'), []);
    assert.deepEqual(fallbacksFor(settings, 'group', 'transient'), ['other']);
  });
});

describe('the router and bugs of its providers', () => {
  /**
   * Two real deployments per provider with default router settings (2 retries, cooldown after
   * the 4th failure in a minute) and a fallback group. The bodies below skip the server's validation on purpose, so
   * the providers' own code fails on them before anything is sent (the port has no listener).
   */
  async function pair(provider: 'anthropic' | 'openai') {
    const base = `http://127.0.0.1:${await freePort()}`;
    const entry = (id: string) => ({ model_name: 'pair', litellm_params: { model: `${provider}/m`, api_base: base, api_key: 'sk-test-key-123' }, model_info: { id } });
    const loaded = loadConfigText(stringify({ model_list: [entry('one'), entry('two'), { ...entry('other'), model_name: 'other' }], router_settings: { fallbacks: [{ pair: ['other'] }] } }), 'blame.yaml', { env: {} });
    assert.ok(loaded.ok);
    const config = loaded.value.config;
    const events: string[] = [];
    const router = new Router(config, config.deployments.map((d) => createDeploymentClient(d, config)), {
      observer: {
        onAttempt: (e) => events.push(`attempt ${e.deployment.id} ${e.failure ?? 'ok'}`),
        onRetry: () => events.push('retry'),
        onFallback: () => events.push('fallback'),
        onCooldown: (e) => events.push(`cooldown ${e.deployment.id}`),
      },
    });
    return { router, events };
  }

  const ctx = () => ({ signal: new AbortController().signal, requestId: 'blame-test' });

  function deep(levels: number): unknown {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  }

  const triggers: Array<[string, 'anthropic' | 'openai', ChatCompletionRequest, (e: unknown) => boolean]> = [
    ['tool_calls that is not a list, translated for anthropic/', 'anthropic',
      { model: 'pair', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'x', tool_calls: { id: 'c' } as never }] },
      (e) => e instanceof TypeError],
    ['a body nested too deep to serialize, to openai/', 'openai',
      { model: 'pair', messages: [{ role: 'user', content: 'hi' }], metadata: deep(20_000) },
      (e) => e instanceof RangeError],
  ];

  for (const [what, provider, request, isBug] of triggers) {
    test(`${what}: one attempt each, the bug thrown as it is, no deployment cooled down`, async () => {
      const { router, events } = await pair(provider);
      for (let i = 0; i < 10; i++) await assert.rejects(router.chat(request, ctx()), isBug);
      assert.equal(events.length, 10, events.join(', '));
      assert.ok(events.every((e) => /^attempt (one|two) internal$/.test(e)), `no retry, fallback or cooldown: ${events.join(', ')}`);
      assert.deepEqual(router.deploymentStates().filter((s) => s.coolingDown), []);
      router.close();
    });
  }
});

test('a request undici refuses to send (a header it will not write) is the gateway\'s failure, not an unreachable upstream', async () => {
  const request = {
    url: new URL(`http://127.0.0.1:${await freePort()}/v1/chat/completions`), headers: { 'x-extra': 'a\u0000b' }, body: '{}',
    signal: new Cancellation().signal, timeoutMs: 1_000, stream: false, label: 'deployment d', maxAnswerBytes: 64 * 1024 * 1024,
  };
  await assert.rejects(sendUpstream(request), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'internal_error');
    assert.equal(error.origin, 'gateway');
    assert.equal(classifyFailure(error), 'internal');
    return true;
  });
  await closeAllPools();
});
