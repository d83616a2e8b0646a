import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, drawRequestLimit, WORKER_HEAP_FLAGS, workerExecArgv } from '../../src/supervisor/index.js';

/** A seeded generator, so the draws are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

test('every limit is in [base, base + jitter], both ends reached, roughly uniform', () => {
  const random = seeded(42);
  const counts = new Map<number, number>();
  const draws = 20_000;
  for (let i = 0; i < draws; i++) {
    const limit = drawRequestLimit(200, 40, random)!;
    assert.ok(limit >= 200 && limit <= 240, `limit ${limit} out of range`);
    assert.ok(Number.isInteger(limit));
    counts.set(limit, (counts.get(limit) ?? 0) + 1);
  }
  assert.equal(counts.size, 41, 'every whole number in [0, 40] is drawn');
  const expected = draws / 41;
  for (const [limit, count] of counts) assert.ok(Math.abs(count - expected) < expected * 0.25, `limit ${limit} drawn ${count} times, expected about ${expected}`);
});

test('the extremes of the random source map to the ends of the range', () => {
  assert.equal(drawRequestLimit(100, 10, () => 0), 100);
  assert.equal(drawRequestLimit(100, 10, () => 0.999999), 110);
  assert.equal(drawRequestLimit(100, 0, () => 0.999999), 100);
});

test('each draw is independent: consecutive spawns get different limits', () => {
  const random = seeded(7);
  const limits = Array.from({ length: 10 }, () => drawRequestLimit(1000, 1000, random));
  assert.ok(new Set(limits).size >= 9);
});

test('no base, no limit', () => {
  assert.equal(drawRequestLimit(undefined, 40, Math.random), undefined);
});

test('back-off: immediate first retry, then exponential to a cap, reset after a stable period', () => {
  const backoff = new Backoff(500, 4_000, 60_000);
  const delays = [0, 1, 2, 3, 4, 5].map((i) => backoff.next(i * 1000));
  assert.deepEqual(delays, [0, 500, 1000, 2000, 4000, 4000]);
  assert.equal(backoff.next(5000 + 60_001), 0, 'a stable minute resets the count');
});

test('worker flags: added to the primary execArgv unless given there or in NODE_OPTIONS', () => {
  assert.deepEqual(workerExecArgv([], undefined), ['--heap-growing-percent=50', '--expose-gc']);
  assert.deepEqual(WORKER_HEAP_FLAGS, ['--heap-growing-percent=50', '--expose-gc']);
  assert.deepEqual(workerExecArgv(['--enable-source-maps'], ''), ['--enable-source-maps', '--heap-growing-percent=50', '--expose-gc']);
  // Underscores and dashes name the same V8 flag; the operator's value wins either way.
  assert.deepEqual(workerExecArgv(['--heap_growing_percent=100'], undefined), ['--heap_growing_percent=100', '--expose-gc']);
  assert.deepEqual(workerExecArgv(['--max-semi-space-size=8'], '--max-old-space-size=512 --heap-growing-percent=20 --expose_gc'), ['--max-semi-space-size=8']);
});
