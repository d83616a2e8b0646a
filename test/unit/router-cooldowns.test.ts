import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cooldowns } from '../../src/router/cooldowns.js';
import { ManualClock } from '../support/router-fixtures.js';

const SETTINGS = { allowedFails: 3, cooldownMs: 5_000, maxRetryAfterMs: 60_000 };

function setup(settings = SETTINGS) {
  const clock = new ManualClock();
  return { clock, cooldowns: new Cooldowns(settings, clock) };
}

describe('cooldowns', () => {
  test('more than allowed_fails failures within a minute cool a deployment down for cooldown_time', () => {
    const { clock, cooldowns } = setup();
    for (let i = 0; i < 3; i++) {
      assert.equal(cooldowns.recordFailure('d', 'transient', 2), undefined, `failure ${i + 1} is allowed`);
      clock.advance(1_000);
    }
    assert.deepEqual(cooldowns.recordFailure('d', 'transient', 2), { durationMs: 5_000, reason: 'failures' });
    assert.equal(cooldowns.isCoolingDown('d'), true);
    assert.equal(cooldowns.isCoolingDown('other'), false);
    clock.advance(4_999);
    assert.equal(cooldowns.isCoolingDown('d'), true);
    clock.advance(1);
    assert.equal(cooldowns.isCoolingDown('d'), false);
    // The count started again: one more failure is not enough.
    assert.equal(cooldowns.recordFailure('d', 'transient', 2), undefined);
  });

  test('failures further apart than a minute do not add up', () => {
    const { clock, cooldowns } = setup();
    for (let i = 0; i < 10; i++) {
      assert.equal(cooldowns.recordFailure('d', 'deployment_broken', 3), undefined);
      clock.advance(20_001);
    }
    assert.equal(cooldowns.isCoolingDown('d'), false);
  });

  test('allowed_fails 0 cools down on the first failure', () => {
    const { cooldowns } = setup({ ...SETTINGS, allowedFails: 0 });
    assert.equal(cooldowns.recordFailure('d', 'transient', 2)?.reason, 'failures');
  });

  test('a 429 in a group with other deployments cools down at once, for Retry-After when longer (up to the cap)', () => {
    const { cooldowns } = setup({ ...SETTINGS, maxRetryAfterMs: 20_000 });
    assert.deepEqual(cooldowns.recordFailure('a', 'rate_limited', 2), { durationMs: 5_000, reason: 'rate_limited' });
    assert.deepEqual(cooldowns.recordFailure('b', 'rate_limited', 2, 12_000), { durationMs: 12_000, reason: 'rate_limited' });
    assert.deepEqual(cooldowns.recordFailure('c', 'rate_limited', 2, 90_000), { durationMs: 20_000, reason: 'rate_limited' });
    assert.deepEqual(cooldowns.recordFailure('d', 'rate_limited', 2, 1_000), { durationMs: 5_000, reason: 'rate_limited' });
  });

  test("a group's only deployment is never cooled down", () => {
    const { cooldowns } = setup({ ...SETTINGS, allowedFails: 0 });
    assert.equal(cooldowns.recordFailure('solo', 'rate_limited', 1, 30_000), undefined);
    for (let i = 0; i < 20; i++) assert.equal(cooldowns.recordFailure('solo', 'transient', 1), undefined);
    assert.equal(cooldowns.isCoolingDown('solo'), false);
  });

  test('cooldown_time 0 turns cooldowns off', () => {
    const { cooldowns } = setup({ ...SETTINGS, cooldownMs: 0, allowedFails: 0 });
    assert.equal(cooldowns.recordFailure('d', 'rate_limited', 5), undefined);
    assert.equal(cooldowns.recordFailure('d', 'transient', 5), undefined);
  });

  test('a cooldown from another host starts or lengthens one here, never shortens it', () => {
    const { clock, cooldowns } = setup();
    assert.equal(cooldowns.apply('d', 3_000), true);
    assert.equal(cooldowns.isCoolingDown('d'), true);
    assert.equal(cooldowns.apply('d', 1_000), false);
    assert.equal(cooldowns.apply('d', 3_000), false, 'the same cooldown read back is not news');
    assert.equal(cooldowns.apply('d', 8_000), true);
    clock.advance(7_999);
    assert.equal(cooldowns.isCoolingDown('d'), true);
    clock.advance(2);
    assert.equal(cooldowns.isCoolingDown('d'), false);
    assert.equal(cooldowns.apply('d', 0), false);
  });
});
