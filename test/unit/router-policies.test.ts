import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError, upstreamFailure } from '../../src/core/index.js';
import { classifyFailure, isContentPolicyError, isContextWindowError } from '../../src/router/failure-kind.js';
import { FallbackPlan, MAX_FALLBACKS } from '../../src/router/fallback-plan.js';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, parseRetryAfter, retryDelayMs } from '../../src/router/retry-policy.js';
import { seededRandom } from '../support/router-fixtures.js';

describe('retry delays', () => {
  const base = { retryAfterMs: undefined, maxRetryAfterMs: 60_000, random: seededRandom(5) };

  test('a retry on another deployment goes at once, Retry-After or not', () => {
    assert.equal(retryDelayMs({ ...base, retry: 1, sameDeployment: false }), 0);
    assert.equal(retryDelayMs({ ...base, retry: 3, sameDeployment: false, retryAfterMs: 30_000 }), 0);
  });

  test('a retry on the same deployment backs off exponentially, with jitter in the upper half', () => {
    for (let retry = 1; retry <= 8; retry++) {
      const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (retry - 1));
      const delays = Array.from({ length: 200 }, () => retryDelayMs({ ...base, retry, sameDeployment: true })!);
      assert.ok(delays.every((d) => d >= ceiling / 2 && d <= ceiling), `retry ${retry}: within [${ceiling / 2}, ${ceiling}]`);
      assert.ok(new Set(delays).size > 50, `retry ${retry}: jittered`);
    }
  });

  test('Retry-After is waited out up to the cap; beyond it, retrying the same deployment is pointless', () => {
    assert.equal(retryDelayMs({ ...base, retry: 1, sameDeployment: true, retryAfterMs: 7_000 }), 7_000);
    assert.equal(retryDelayMs({ ...base, retry: 1, sameDeployment: true, retryAfterMs: 7_000, maxRetryAfterMs: 5_000 }), undefined);
  });

  test('Retry-After as seconds, milliseconds or an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    assert.equal(parseRetryAfter({ 'retry-after': '7' }, now), 7_000);
    assert.equal(parseRetryAfter({ 'retry-after': '1.5' }, now), 1_500);
    assert.equal(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, now), 250);
    assert.equal(parseRetryAfter({ 'retry-after': new Date(now + 3_000).toUTCString() }, now), 3_000);
    assert.equal(parseRetryAfter({ 'retry-after': new Date(now - 3_000).toUTCString() }, now), undefined);
    assert.equal(parseRetryAfter({ 'retry-after': 'soon' }, now), undefined);
    assert.equal(parseRetryAfter({}, now), undefined);
  });
});

describe('fallback plan', () => {
  const settings = {
    fallbacks: { a: ['b', 'c'], b: ['d'], loop1: ['loop2'], loop2: ['loop1'], '*': ['star'] } as Record<string, string[]>,
    contextWindowFallbacks: { a: ['big'] } as Record<string, string[]>,
    contentPolicyFallbacks: { a: ['lenient'] } as Record<string, string[]>,
    defaultFallbacks: ['default'],
  };
  const all = () => true;

  test('chains breadth first: the asked-for group\'s list, then its fallbacks\' own', () => {
    const plan = new FallbackPlan(settings, 'a', all);
    assert.equal(plan.next('a', 'transient'), 'b');
    assert.equal(plan.next('b', 'transient'), 'c');
    assert.equal(plan.next('c', 'transient'), 'd'); // c has no entry: "*" gives star, queued after d
    assert.equal(plan.next('d', 'transient'), 'star');
    assert.equal(plan.next('star', 'transient'), undefined); // star's "*" is itself: visited
    assert.equal(plan.hops, 4);
  });

  test('loops end: a group is never tried twice', () => {
    const plan = new FallbackPlan(settings, 'loop1', all);
    assert.equal(plan.next('loop1', 'rate_limited'), 'loop2');
    assert.equal(plan.next('loop2', 'rate_limited'), undefined);
    assert.equal(plan.hops, 1);
  });

  test(`at most ${MAX_FALLBACKS} hops`, () => {
    const chain: Record<string, string[]> = {};
    for (let i = 0; i < 20; i++) chain[`g${i}`] = [`g${i + 1}`];
    const plan = new FallbackPlan({ ...settings, fallbacks: chain }, 'g0', all);
    const tried: string[] = [];
    for (let group = 'g0', next = plan.next(group, 'transient'); next !== undefined; group = next, next = plan.next(group, 'transient')) tried.push(next);
    assert.deepEqual(tried, ['g1', 'g2', 'g3', 'g4', 'g5']);
  });

  test('context-window and content-policy failures use their own lists, else the general one', () => {
    assert.equal(new FallbackPlan(settings, 'a', all).next('a', 'context_window'), 'big');
    assert.equal(new FallbackPlan(settings, 'a', all).next('a', 'content_policy'), 'lenient');
    assert.equal(new FallbackPlan(settings, 'b', all).next('b', 'context_window'), 'd');
  });

  test('default_fallbacks apply when there is no entry and no "*"; bad requests and gone clients get none; unknown groups are skipped', () => {
    const { '*': _star, ...noStar } = settings.fallbacks;
    assert.equal(new FallbackPlan({ ...settings, fallbacks: noStar }, 'x', all).next('x', 'unavailable'), 'default');
    assert.equal(new FallbackPlan(settings, 'a', all).next('a', 'bad_request'), undefined);
    assert.equal(new FallbackPlan(settings, 'a', all).next('a', 'client_closed'), undefined);
    assert.equal(new FallbackPlan(settings, 'a', (g) => g !== 'b').next('a', 'transient'), 'c');
  });
});

describe('failure kinds', () => {
  const upstream = (status: number, message: string, code: string | null = null) =>
    status === 429
      ? upstreamFailure('rate_limited', message, { upstreamStatus: 429, upstreamCode: code })
      : status >= 500
        ? upstreamFailure('upstream_error', message, { upstreamStatus: status, upstreamCode: code })
        : upstreamFailure('upstream_client_error', message, { status, upstreamStatus: status, upstreamCode: code });

  test('context-window errors, by OpenAI code or by the wording providers use', () => {
    assert.equal(classifyFailure(upstream(400, 'whatever', 'context_length_exceeded')), 'context_window');
    assert.equal(classifyFailure(upstream(400, "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.")), 'context_window');
    assert.equal(classifyFailure(upstream(400, 'prompt is too long: 210000 tokens > 200000 maximum')), 'context_window');
    assert.equal(classifyFailure(upstream(400, 'Input is too long for requested model.')), 'context_window');
    assert.equal(isContextWindowError(null, "Invalid value for 'temperature'"), false);
  });

  test('content-policy errors, by code or wording', () => {
    assert.equal(classifyFailure(upstream(400, 'x', 'content_policy_violation')), 'content_policy');
    assert.equal(classifyFailure(upstream(400, "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", 'content_filter')), 'content_policy');
    assert.equal(isContentPolicyError(null, 'Your request was rejected as a result of our safety system.'), true);
    assert.equal(isContentPolicyError(null, 'messages must not be empty'), false);
  });

  test('everything else', () => {
    assert.equal(classifyFailure(upstream(429, 'slow down')), 'rate_limited');
    assert.equal(classifyFailure(upstream(503, 'overloaded')), 'transient');
    assert.equal(classifyFailure(upstreamFailure('upstream_timeout', 'slow')), 'transient');
    assert.equal(classifyFailure(upstreamFailure('upstream_unreachable', 'refused')), 'transient');
    assert.equal(classifyFailure(upstream(401, 'bad key')), 'deployment_broken');
    assert.equal(classifyFailure(upstream(404, 'no such model')), 'deployment_broken');
    assert.equal(classifyFailure(new GatewayError('not_implemented', 'bedrock')), 'deployment_broken');
    assert.equal(classifyFailure(upstream(400, "Invalid value for 'logit_bias'")), 'bad_request');
    assert.equal(classifyFailure(new GatewayError('rate_limited', 'group over its rpm')), 'unavailable');
    assert.equal(classifyFailure(new GatewayError('no_deployment_available', 'all cooling down')), 'unavailable');
    assert.equal(classifyFailure(new GatewayError('client_closed_request', 'gone')), 'client_closed');
    assert.equal(classifyFailure(new Error('surprise')), 'internal');
  });
});
