import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/core/index.js';
import { HealthLock, type HealthRound } from '../../src/health/index.js';
import { SharedCoordinator } from '../../src/health/shared-coordinator.js';
import { RedisConnection } from '../../src/redis/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

/**
 * The health check lock against a real redis-server: one holder, safe release, renewal, expiry;
 * and two hosts' coordinators across a failover that loses the lock key.
 */

let redis: RedisProcess;
let connection: RedisConnection;
const KEY = 'lock-test:health:abc:lock';

before(async () => {
  redis = await startRedis();
  connection = new RedisConnection({ url: redis.url, host: '127.0.0.1', port: redis.port, tls: false, namespace: 'lock-test' }, {
    logger: createLogger({ level: 'silent' }), purpose: 'lock-test',
  });
  connection.start();
  const deadline = Date.now() + 5_000;
  while (!connection.available && Date.now() < deadline) await sleep(20);
  assert.ok(connection.available, 'connected to the test redis');
});

after(async () => {
  await connection.close();
  await redis.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('two contenders: exactly one holds the lock', async () => {
  const a = new HealthLock(connection, `${KEY}-1`, 'host-a-1-x');
  const b = new HealthLock(connection, `${KEY}-1`, 'host-b-2-y');
  const [gotA, gotB] = await Promise.all([a.acquire(5_000), b.acquire(5_000)]);
  assert.equal([gotA, gotB].filter(Boolean).length, 1, `one winner, got a=${gotA} b=${gotB}`);
  const winner = gotA ? a : b;
  assert.equal(await a.owner(), winner.holder);
  assert.equal(await winner.release(), true);
  assert.equal(await a.owner(), null);
});

test('a non-holder\'s release and renewal change nothing', async () => {
  const a = new HealthLock(connection, `${KEY}-2`, 'host-a-1-x');
  const b = new HealthLock(connection, `${KEY}-2`, 'host-b-2-y');
  assert.equal(await a.acquire(5_000), true);
  assert.equal(await b.release(), false);
  assert.equal(await b.renew(60_000), false);
  assert.equal(await a.owner(), 'host-a-1-x');
  assert.equal(await a.release(), true);
});

test('renewal keeps the lock past its first expiry; without it the lock expires and passes on', async () => {
  const a = new HealthLock(connection, `${KEY}-3`, 'host-a-1-x');
  const b = new HealthLock(connection, `${KEY}-3`, 'host-b-2-y');
  assert.equal(await a.acquire(300), true);
  for (let i = 0; i < 6; i++) {
    await sleep(100);
    assert.equal(await a.renew(300), true);
  }
  // 600 ms after a 300 ms lock was taken, it is still a's.
  assert.equal(await b.acquire(300), false);
  assert.equal(await a.owner(), 'host-a-1-x');
  // a stops renewing (as a killed holder would): the lock expires and b gets it.
  await sleep(400);
  assert.equal(await a.owner(), null);
  assert.equal(await b.acquire(5_000), true);
  // a's late release deletes nothing of b's.
  assert.equal(await a.release(), false);
  assert.equal(await b.owner(), 'host-b-2-y');
});

test('with Redis gone every call answers undefined at once instead of throwing or waiting', async () => {
  const a = new HealthLock(connection, `${KEY}-4`, 'host-a-1-x');
  await redis.stop();
  try {
    const started = performance.now();
    assert.equal(await a.acquire(1_000), undefined);
    assert.equal(await a.renew(1_000), undefined);
    assert.equal(await a.release(), undefined);
    assert.ok(performance.now() - started < 1_000, 'bounded');
  } finally {
    await redis.start();
  }
});

test('a failover that loses the lock key while the holder cannot reach Redis: its hold lapses, so two hosts hold the lock for at most its TTL', async () => {
  const TTL_MS = 600;
  const ROUND_MS = 3_000; // rounds much longer than the TTL, as slow upstreams make them
  const lines: Array<{ msg: string; pod?: string; at: number }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) {
        if (!text) continue;
        const line = JSON.parse(text) as { msg: string; pod_id?: string; time: string };
        lines.push({ msg: line.msg, pod: line.pod_id, at: Date.parse(line.time) });
      }
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  // Host A reaches Redis through a proxy the test cuts (a partition, or a host still on the dead primary).
  const proxy = await startTcpProxy(redis.port);
  const host = (podId: string, port: number) => {
    let latest: HealthRound | undefined;
    const coordinator = new SharedCoordinator({
      redisSettings: { host: '127.0.0.1', port, tls: false, namespace: 'lapse-test' },
      scheduled: [], podId, intervalMs: 60_000, lockTtlMs: TTL_MS, resultsTtlMs: 60_000, logger,
      probe: () => new Promise((resolve) => setTimeout(() => resolve([]), ROUND_MS)),
      deliver: (round) => (latest = round),
      latest: () => latest,
    });
    coordinator.start();
    return coordinator;
  };
  const waitFor = async (what: string, check: () => boolean) => {
    const deadline = Date.now() + 5_000;
    while (!check()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  const a = host('host-a', proxy.port);
  const b = host('host-b', redis.port);
  try {
    await sleep(500); // both connect
    const roundA = a.run(Date.now(), new AbortController().signal);
    await waitFor('host a holding the lock', () => lines.some((l) => l.msg === 'health check lock acquired' && l.pod === 'host-a'));
    await sleep(100);
    await proxy.cut(); // host A can no longer renew
    const lockKey = await connection.run('find lock', (r) => r.eval("return redis.call('KEYS', 'lapse-test:*:lock')", 0));
    for (const key of (lockKey as string[] | undefined) ?? []) await connection.run('lose lock', (r) => r.del(key)); // the failover lost the key
    const roundB = b.run(Date.now(), new AbortController().signal);
    await waitFor('host b holding the lock', () => lines.some((l) => l.msg === 'health check lock acquired' && l.pod === 'host-b'));
    await Promise.all([roundA, roundB]);
    const hold = (pod: string) => {
      const from = lines.find((l) => l.pod === pod && l.msg === 'health check lock acquired')?.at ?? NaN;
      const end = lines.find((l) => l.pod === pod && l.at >= from && l.msg !== 'health check lock acquired' && l.msg.startsWith('health check lock'));
      return { from, to: end?.at ?? Date.now(), end: end?.msg };
    };
    const holdA = hold('host-a');
    const holdB = hold('host-b');
    const overlap = Math.min(holdA.to, holdB.to) - Math.max(holdA.from, holdB.from);
    assert.ok(overlap <= TTL_MS, `both held the lock for ${overlap} ms (ttl ${TTL_MS})`);
    assert.match(String(holdA.end), /^health check lock lapsed/);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await proxy.close();
  }
});
