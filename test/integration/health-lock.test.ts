import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/core/index.js';
import { HealthLock } from '../../src/health/index.js';
import { RedisConnection } from '../../src/redis/index.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/** The health check lock against a real redis-server: one holder, safe release, renewal, expiry. */

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
