import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../src/core/index.js';
import { KeyCache, type Caller, type KeyCacheOptions } from '../../src/keys/index.js';

/** The worker's key cache: what reaches PostgreSQL, and what happens when it cannot answer. */

function caller(hash: string, teamId: string | null = null): Caller {
  return {
    tokenHash: hash, keyAlias: null, keyName: null, teamId, teamAlias: null, userId: null, models: [], teamModels: undefined,
    aliases: {}, scopes: [], modelScopes: new Map(), admin: false, expiresAt: null, blocked: false, teamBlocked: false,
  };
}

function cache(known: Map<string, Caller>, overrides: Partial<KeyCacheOptions> = {}) {
  let now = 1_000_000;
  const loads: string[] = [];
  let down = false;
  const held: Array<() => void> = [];
  let hold = false;
  const keys = new KeyCache({
    load: async (hash) => {
      loads.push(hash);
      if (hold) await new Promise<void>((resolve) => held.push(resolve));
      if (down) throw new Error('ECONNREFUSED');
      return known.get(hash);
    },
    ttlMs: 60_000, negativeTtlMs: 5_000, maxEntries: 3, maxNegativeEntries: 100, maxConcurrentLoads: 2, maxQueuedLoads: 4,
    now: () => now, ...overrides,
  });
  return {
    keys, loads,
    advance: (ms: number) => (now += ms),
    setDown: (value: boolean) => (down = value),
    setHold: (value: boolean) => (hold = value),
    release: () => held.splice(0).forEach((resolve) => resolve()),
  };
}

test('a key read once is answered from memory, synchronously, until its TTL', async () => {
  const t = cache(new Map([['a', caller('a')]]));
  assert.equal((await t.keys.lookup('a'))?.tokenHash, 'a');
  for (let i = 0; i < 100; i++) assert.equal((t.keys.lookup('a') as Caller).tokenHash, 'a');
  assert.deepEqual(t.loads, ['a']);
  t.advance(60_000);
  await t.keys.lookup('a');
  assert.deepEqual(t.loads, ['a', 'a'], 'read again after the TTL');
});

test('a repeated bad key reaches PostgreSQL once per negative TTL; concurrent look-ups share one query', async () => {
  const t = cache(new Map());
  const first = await Promise.all(Array.from({ length: 50 }, () => t.keys.lookup('bad')));
  assert.ok(first.every((c) => c === null));
  for (let i = 0; i < 1_000; i++) assert.equal(t.keys.lookup('bad'), null);
  assert.deepEqual(t.loads, ['bad']);
  t.advance(5_000);
  assert.equal(await t.keys.lookup('bad'), null);
  assert.equal(t.loads.length, 2);
});

test('distinct bad keys: at most maxConcurrentLoads queries at once, a bounded line, then 503', async () => {
  const t = cache(new Map());
  t.setHold(true);
  const pending = Array.from({ length: 6 }, (_, i) => t.keys.lookup(`bad-${i}`) as Promise<Caller | null>);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(t.loads.length, 2, 'two queries in flight');
  await assert.rejects(t.keys.lookup('bad-over') as Promise<unknown>, (e: unknown) => e instanceof GatewayError && e.code === 'server_busy');
  t.setHold(false);
  for (let i = 0; i < 6; i++) {
    t.release();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(await Promise.all(pending), [null, null, null, null, null, null]);
});

test('PostgreSQL down: a held key keeps working past its TTL, an unread key gets a 503', async () => {
  const t = cache(new Map([['a', caller('a')], ['b', caller('b')]]));
  await t.keys.lookup('a');
  t.setDown(true);
  t.advance(120_000);
  assert.equal((await t.keys.lookup('a'))?.tokenHash, 'a', 'stale beats refused');
  assert.equal((t.keys.lookup('a') as Caller).tokenHash, 'a', 'answered at once while PostgreSQL is known down');
  await assert.rejects(t.keys.lookup('b') as Promise<unknown>, (e: unknown) => e instanceof GatewayError && e.status === 503 && e.code === 'database_unavailable');
});

test('invalidation drops a key, a team\'s keys, and a look-up begun before it does not store what it read', async () => {
  const known = new Map([['a', caller('a', 't1')], ['b', caller('b', 't1')], ['c', caller('c', 't2')]]);
  const t = cache(known);
  for (const hash of ['a', 'b', 'c']) await t.keys.lookup(hash);
  t.keys.invalidateWhere((c) => c.teamId === 't1');
  assert.ok(t.keys.lookup('a') instanceof Promise);
  assert.equal((t.keys.lookup('c') as Caller).tokenHash, 'c');
  t.setHold(true);
  t.keys.invalidate('c');
  const racing = t.keys.lookup('c') as Promise<Caller | null>;
  await new Promise((resolve) => setImmediate(resolve));
  known.delete('c');
  t.keys.invalidate('c'); // deleted while the read was in flight
  t.setHold(false);
  t.release();
  await racing;
  assert.ok(t.keys.lookup('c') instanceof Promise, 'the stale read was not kept');
});

test('bounded: past maxEntries the key read longest ago goes', async () => {
  const known = new Map(['a', 'b', 'c', 'd'].map((h) => [h, caller(h)]));
  const t = cache(known);
  for (const hash of ['a', 'b', 'c', 'd']) await t.keys.lookup(hash);
  assert.equal(t.keys.size, 3);
  assert.ok(t.keys.lookup('a') instanceof Promise);
});

test('a look-up PostgreSQL does not answer in time is a 503 for the request; its query keeps its place until it ends', async () => {
  const t = cache(new Map([['a', caller('a')]]), { loadTimeoutMs: 50, maxConcurrentLoads: 1 });
  t.setHold(true);
  const started = Date.now();
  await assert.rejects(t.keys.lookup('a') as Promise<unknown>, (e: unknown) => e instanceof GatewayError && e.status === 503);
  assert.ok(Date.now() - started < 1_000);
  const next = t.keys.lookup('b') as Promise<Caller | null>;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(t.loads.length, 1, 'the slot is still the hung query\'s');
  t.setHold(false);
  t.release();
  await new Promise((resolve) => setImmediate(resolve));
  t.release();
  assert.equal(await next, null);
});
