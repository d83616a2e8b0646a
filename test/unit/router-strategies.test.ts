import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordLatency, type Member } from '../../src/router/group-member.js';
import { leastBusy, lowestLatency, lowestUsage, simpleShuffle, type MemberView, type PickRequest } from '../../src/router/strategies/index.js';
import type { Usage } from '../../src/router/usage-counter.js';
import { membersOf, routerConfig, seededRandom, tally, type ModelEntry } from '../support/router-fixtures.js';

const N = 100_000;
const TOLERANCE = 0.01; // ±1 percentage point over 100k seeded draws (σ ≈ 0.15 pp)

function members(entries: ModelEntry[]): Member[] {
  return membersOf(routerConfig(entries));
}

function context(overrides: Partial<PickRequest> = {}): PickRequest {
  return { random: seededRandom(7), now: 1_000_000, stream: false, latencyBuffer: 0.1, healthRouting: false, attempts: undefined, requestTokens: undefined, minute: 0, ...overrides };
}

const VIEW: MemberView = { isCoolingDown: () => false, isHealthy: () => true, usage: () => ({ requests: 0, tokens: 0 }) };

function assertShares(counts: Map<string, number>, expected: Record<string, number>): void {
  for (const [id, share] of Object.entries(expected)) {
    const actual = (counts.get(id) ?? 0) / N;
    assert.ok(Math.abs(actual - share) <= TOLERANCE, `${id}: expected ${share}, got ${actual.toFixed(4)}`);
  }
  const unexpected = [...counts.keys()].filter((id) => !(id in expected));
  assert.deepEqual(unexpected, []);
}

describe('simple-shuffle', () => {
  test('draws in proportion to weight', () => {
    const pool = members([{ id: 'a', params: { weight: 1 } }, { id: 'b', params: { weight: 2 } }, { id: 'c', params: { weight: 7 } }]);
    const ctx = context();
    assertShares(tally(N, () => simpleShuffle(pool, ctx, VIEW).deployment.id), { a: 0.1, b: 0.2, c: 0.7 });
  });

  test('without weights, rpm decides; without rpm, tpm; a member lacking rpm/tpm counts as their mean', () => {
    const byRpm = members([{ id: 'a', params: { rpm: 100 } }, { id: 'b', params: { rpm: 300 } }]);
    const ctx = context();
    assertShares(tally(N, () => simpleShuffle(byRpm, ctx, VIEW).deployment.id), { a: 0.25, b: 0.75 });
    const byTpm = members([{ id: 'a', params: { tpm: 1000 } }, { id: 'b', params: { tpm: 4000 } }, { id: 'c' }]);
    assertShares(tally(N, () => simpleShuffle(byTpm, ctx, VIEW).deployment.id), { a: 1000 / 7500, b: 4000 / 7500, c: 2500 / 7500 });
  });

  test('a member without a weight counts as weight 1, never as 0 (it stays in service)', () => {
    const pool = members([{ id: 'a', params: { weight: 2 } }, { id: 'b', params: { rpm: 450_000 } }]);
    const ctx = context();
    assertShares(tally(N, () => simpleShuffle(pool, ctx, VIEW).deployment.id), { a: 2 / 3, b: 1 / 3 });
  });

  test('weight wins over rpm; no hints (or all zero) is uniform', () => {
    const mixed = members([{ id: 'a', params: { weight: 1, rpm: 10_000 } }, { id: 'b', params: { weight: 3, rpm: 1 } }]);
    const ctx = context();
    assertShares(tally(N, () => simpleShuffle(mixed, ctx, VIEW).deployment.id), { a: 0.25, b: 0.75 });
    const plain = members([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }]);
    assertShares(tally(N, () => simpleShuffle(plain, ctx, VIEW).deployment.id), { a: 0.25, b: 0.25, c: 0.25, d: 0.25 });
    const zeros = members([{ id: 'a', params: { weight: 0 } }, { id: 'b', params: { weight: 0 } }]);
    assertShares(tally(N, () => simpleShuffle(zeros, ctx, VIEW).deployment.id), { a: 0.5, b: 0.5 });
  });
});

describe('least-busy', () => {
  test('picks among the members with the fewest calls in flight, evenly', () => {
    const pool = members([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }]);
    [3, 1, 1, 5].forEach((n, i) => (pool[i]!.inFlight = n));
    const ctx = context();
    assertShares(tally(N, () => leastBusy(pool, ctx, VIEW).deployment.id), { b: 0.5, c: 0.5 });
    pool[2]!.inFlight = 0;
    assert.equal(leastBusy(pool, ctx, VIEW).deployment.id, 'c');
  });
});

describe('latency-based-routing', () => {
  function withLatency(ms: Array<number | undefined>, stream = false): Member[] {
    const pool = members(ms.map((_, i) => ({ id: `m${i}` })));
    ms.forEach((value, i) => {
      if (value !== undefined) recordLatency(pool[i]!.latency, stream, value, 1_000_000);
    });
    return pool;
  }

  test('near-equal members share the load within the buffer; a slower one gets none', () => {
    const pool = withLatency([100, 105, 300]);
    const ctx = context({ latencyBuffer: 0.1 });
    assertShares(tally(N, () => lowestLatency(pool, ctx, VIEW).deployment.id), { m0: 0.5, m1: 0.5 });
  });

  test('with no buffer the fastest takes everything; a wider buffer lets the slower in', () => {
    const pool = withLatency([100, 105, 300]);
    const strict = context({ latencyBuffer: 0 });
    assertShares(tally(N, () => lowestLatency(pool, strict, VIEW).deployment.id), { m0: 1 });
    const wide = context({ latencyBuffer: 2 });
    assertShares(tally(N, () => lowestLatency(pool, wide, VIEW).deployment.id), { m0: 1 / 3, m1: 1 / 3, m2: 1 / 3 });
  });

  test('a member without a figure is tried first; a figure gone stale is forgotten', () => {
    const pool = withLatency([100, undefined, 50]);
    assert.equal(lowestLatency(pool, context(), VIEW).deployment.id, 'm1');
    const stale = withLatency([100, 500]);
    assert.equal(lowestLatency(stale, context({ now: 1_000_000 + 30_000 }), VIEW).deployment.id, 'm0');
    // A minute later nothing is known any more: both are tried again.
    const later = context({ now: 1_000_000 + 61_000 });
    assertShares(tally(N, () => lowestLatency(stale, later, VIEW).deployment.id), { m0: 0.5, m1: 0.5 });
  });

  test('streams compare time to first event, not whole-response time', () => {
    const pool = withLatency([900, 100]);
    recordLatency(pool[0]!.latency, true, 50, 1_000_000);
    recordLatency(pool[1]!.latency, true, 400, 1_000_000);
    assert.equal(lowestLatency(pool, context({ stream: false }), VIEW).deployment.id, 'm1');
    assert.equal(lowestLatency(pool, context({ stream: true }), VIEW).deployment.id, 'm0');
  });

  test('the moving average follows new samples', () => {
    const pool = withLatency([100, 200]);
    for (let i = 0; i < 10; i++) recordLatency(pool[0]!.latency, false, 1_000, 1_000_000);
    assert.equal(lowestLatency(pool, context({ latencyBuffer: 0 }), VIEW).deployment.id, 'm1');
  });
});

describe('usage-based-routing-v2', () => {
  test('the member with the fewest tokens this minute, then the fewest requests', () => {
    const pool = members([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const usage: Record<string, Usage> = { a: { requests: 1, tokens: 500 }, b: { requests: 3, tokens: 100 }, c: { requests: 1, tokens: 100 } };
    const ctx = context();
    const view: MemberView = { ...VIEW, usage: (m) => usage[m.deployment.id]! };
    assertShares(tally(N, () => lowestUsage(pool, ctx, view).deployment.id), { c: 1 });
    usage.c = { requests: 3, tokens: 100 };
    assertShares(tally(N, () => lowestUsage(pool, ctx, view).deployment.id), { b: 0.5, c: 0.5 });
  });
});
