import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError, upstreamFailure } from '../../src/core/index.js';
import { retryAdvice } from '../../src/server/retry-advice.js';

/** What an error response tells SDK clients about retrying, case by case (server/retry-advice.ts). */

const upstream429 = () => upstreamFailure('rate_limited', 'limited', { upstreamStatus: 429, headers: { 'retry-after': '2', 'retry-after-ms': '2000' } });

test('after upstream attempts: do not retry, and the upstream\'s wait is not passed on', () => {
  assert.deepEqual(retryAdvice(upstream429(), 3), { 'x-should-retry': 'false' });
  assert.deepEqual(retryAdvice(upstreamFailure('upstream_error', 'down'), 1), { 'x-should-retry': 'false' });
});

test('nothing was called (group cooling down or over its limits): retry, after the gateway\'s own wait', () => {
  const cooling = new GatewayError('no_deployment_available', 'all cooling down', { headers: { 'retry-after': '5' } });
  assert.deepEqual(retryAdvice(cooling, undefined), { 'retry-after': '5', 'x-should-retry': 'true' });
  const overLimits = new GatewayError('rate_limited', 'rpm used', { headers: { 'retry-after': '12' } });
  assert.deepEqual(retryAdvice(overLimits, undefined), { 'retry-after': '12', 'x-should-retry': 'true' });
});

test('a drain that cut the request: retry, even after attempts (another worker will serve it)', () => {
  assert.deepEqual(retryAdvice(new GatewayError('shutting_down', 'draining'), 2), { 'x-should-retry': 'true' });
});

test('a failure of the gateway\'s own: do not retry; a refused request: no advice (SDKs do not retry 4xx)', () => {
  assert.deepEqual(retryAdvice(new GatewayError('internal_error', 'bug'), undefined), { 'x-should-retry': 'false' });
  assert.deepEqual(retryAdvice(new GatewayError('invalid_request', 'bad'), undefined), {});
  assert.deepEqual(retryAdvice(new GatewayError('model_not_found', 'no'), undefined), {});
});
