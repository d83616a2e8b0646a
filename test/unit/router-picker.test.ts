import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickDeployment } from '../../src/router/deployment-picker.js';
import type { Member } from '../../src/router/group-member.js';
import { lowestUsage, simpleShuffle, type MemberView, type PickRequest, type Strategy } from '../../src/router/strategies/index.js';
import type { Usage } from '../../src/router/usage-counter.js';
import { UsageCounter } from '../../src/router/usage-counter.js';
import { ManualClock, membersOf, routerConfig, seededRandom, tally, type ModelEntry } from '../support/router-fixtures.js';

function members(entries: ModelEntry[]): Member[] {
  return membersOf(routerConfig(entries));
}

interface Case {
  request?: Partial<PickRequest>;
  cooling?: string[];
  unhealthy?: string[];
  usage?: (member: Member, minute: number) => Usage;
  strategy?: Strategy;
}

function view(c: Case): MemberView {
  return {
    isCoolingDown: (m) => (c.cooling ?? []).includes(m.deployment.id),
    isHealthy: (m) => !(c.unhealthy ?? []).includes(m.deployment.id),
    usage: c.usage ?? (() => ({ requests: 0, tokens: 0 })),
  };
}

function request(overrides: Partial<PickRequest> = {}): PickRequest {
  return { random: seededRandom(3), now: 0, stream: false, latencyBuffer: 0.1, healthRouting: false, attempts: undefined, requestTokens: undefined, minute: 0, ...overrides };
}

/** Every outcome seen over many picks, sorted: deployment ids, or `none:<reason>`. */
function outcomes(pool: Member[], c: Case = {}, draws = 2_000): string[] {
  const v = view(c);
  const r = request(c.request);
  return [...tally(draws, () => {
    const pick = pickDeployment(pool, c.strategy ?? simpleShuffle, v, r);
    return pick.member?.deployment.id ?? `none:${pick.none}`;
  }).keys()].sort();
}

function attempted(pool: Member[], counts: Record<string, number>): Map<Member, number> {
  return new Map(pool.filter((m) => m.deployment.id in counts).map((m) => [m, counts[m.deployment.id]!]));
}

describe('order tiers', () => {
  const pool = members([
    { id: 'first-a', params: { order: 1 } },
    { id: 'first-b', params: { order: 1 } },
    { id: 'second', params: { order: 2 } },
    { id: 'unordered' },
  ]);

  test('only the lowest tier serves while any of it is available', () => {
    assert.deepEqual(outcomes(pool), ['first-a', 'first-b']);
    assert.deepEqual(outcomes(pool, { cooling: ['first-a'] }), ['first-b']);
  });

  test('the next tier serves when the whole lower tier is unavailable; no order comes last', () => {
    assert.deepEqual(outcomes(pool, { cooling: ['first-a', 'first-b'] }), ['second']);
    assert.deepEqual(outcomes(pool, { cooling: ['first-a', 'first-b', 'second'] }), ['unordered']);
    assert.deepEqual(outcomes(pool, { cooling: ['first-a', 'first-b', 'second', 'unordered'] }), ['none:cooling_down']);
  });

  test('a deployment already tried by this request counts as unavailable while another is not', () => {
    assert.deepEqual(outcomes(pool, { request: { attempts: attempted(pool, { 'first-a': 1, 'first-b': 1 }) } }), ['second']);
    assert.deepEqual(outcomes(pool, { request: { attempts: attempted(pool, { 'first-a': 1, 'first-b': 1, second: 1, unordered: 1 }) } }), ['first-a', 'first-b']);
  });
});

describe('exclusions', () => {
  test('max_retries caps attempts on one deployment within a request', () => {
    const pool = members([{ id: 'once', params: { max_retries: 0 } }, { id: 'twice', params: { max_retries: 1 } }]);
    assert.deepEqual(outcomes(pool, { request: { attempts: attempted(pool, { once: 1, twice: 1 }) } }), ['twice']);
    assert.deepEqual(outcomes(pool, { request: { attempts: attempted(pool, { once: 1, twice: 2 }) } }), ['none:exhausted']);
  });

  test('health routing: unhealthy deployments get nothing while a healthy one remains, everything when none does', () => {
    const pool = members([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const on = { healthRouting: true };
    assert.deepEqual(outcomes(pool, { request: on, unhealthy: ['a'] }), ['b', 'c']);
    assert.deepEqual(outcomes(pool, { request: on, unhealthy: ['a'], cooling: ['b', 'c'] }), ['a']);
    assert.deepEqual(outcomes(pool, { request: on, unhealthy: ['a', 'b', 'c'] }), ['a', 'b', 'c']);
    assert.deepEqual(outcomes(pool, { unhealthy: ['a'] }), ['a', 'b', 'c'], 'off: health is not looked at');
  });
});

describe('usage limits (usage-based-routing-v2)', () => {
  test('a deployment whose rpm or tpm this request would exceed is skipped; none left is over_limits', () => {
    const pool = members([{ id: 'rpm', params: { rpm: 2 } }, { id: 'tpm', params: { tpm: 1_000 } }, { id: 'open' }]);
    const table: Record<string, Usage> = { rpm: { requests: 2, tokens: 0 }, tpm: { requests: 0, tokens: 950 }, open: { requests: 99, tokens: 99_999 } };
    const usage = (m: Member) => table[m.deployment.id]!;
    assert.deepEqual(outcomes(pool, { usage, strategy: lowestUsage, request: { requestTokens: 100 } }), ['open']);
    assert.deepEqual(outcomes(pool, { usage, strategy: lowestUsage, request: { requestTokens: 10 } }), ['tpm']);
    assert.deepEqual(outcomes(pool, { usage, strategy: lowestUsage, request: { requestTokens: 100 }, cooling: ['open'] }), ['none:over_limits']);
  });

  test("picking and counting over a minute never exceeds any deployment's rpm or tpm", () => {
    const pool = members([
      { id: 'small', params: { rpm: 10 } },
      { id: 'medium', params: { rpm: 30, tpm: 2_000 } },
      { id: 'large', params: { tpm: 5_000 } },
    ]);
    const clock = new ManualClock();
    const counter = new UsageCounter(clock);
    const random = seededRandom(11);
    const v = view({ usage: (m, minute) => counter.usage(m.deployment.id, minute) });
    const served = new Map<string, number>();
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const tokens = 20 + Math.floor(random() * 80);
      const pick = pickDeployment(pool, lowestUsage, v, request({ random, requestTokens: tokens, minute: counter.currentMinute() }));
      if (pick.member === undefined) {
        assert.equal(pick.none, 'over_limits');
        refused++;
        continue;
      }
      counter.record(pick.member.deployment.id, 1, tokens);
      served.set(pick.member.deployment.id, (served.get(pick.member.deployment.id) ?? 0) + 1);
    }
    assert.ok(counter.usage('small').requests <= 10);
    assert.ok(counter.usage('medium').requests <= 30 && counter.usage('medium').tokens <= 2_000);
    assert.ok(counter.usage('large').tokens <= 5_000);
    assert.ok(refused > 0, "the minute's capacity ran out");
    assert.equal(served.size, 3, 'every deployment took some of the load');
    clock.advance(60_000);
    assert.ok(pickDeployment(pool, lowestUsage, v, request({ requestTokens: 50, minute: counter.currentMinute() })).member !== undefined, 'the next minute starts empty');
  });
});
