import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/index.js';
import { Redis } from 'ioredis';
import { defineScript, RedisConnection, REDIS_COMMAND_TIMEOUT_MS, runScript } from '../../src/redis/index.js';
import { keepConnecting } from '../../src/redis/redis-connection.js';
import { startRedis, type RedisProcess } from '../support/redis.js';

/** The fail-fast Redis connection against a real redis-server: stopped, stalled, back again. */

let redis: RedisProcess;
let connection: RedisConnection;
const lines: Array<{ level: string; msg: string; [key: string]: unknown }> = [];

const ECHO = defineScript('echo-test', `
-- KEYS[1]: a key to set; ARGV[1]: its value. Returns the value read back.
redis.call('SET', KEYS[1], ARGV[1])
return redis.call('GET', KEYS[1])
`);

const logged = (msg: string) => lines.filter((l) => l.msg.startsWith(msg)).length;

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

before(async () => {
  redis = await startRedis();
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  connection = new RedisConnection(
    { url: redis.url, host: '127.0.0.1', port: redis.port, tls: false, namespace: 'conn-test' },
    { logger: createLogger({ level: 'info', destination }), purpose: 'test' },
  );
  connection.start();
  await until('connected', () => connection.available);
});

after(async () => {
  await connection.close();
  await redis.stop();
});

describe('redis connection', () => {
  test('keys are namespaced; scripts run; an error reply is not an outage', async () => {
    assert.equal(connection.key('router', 'cooldown', 'd1'), 'conn-test:router:cooldown:d1');
    assert.equal(await connection.run('echo', (r) => runScript(r, ECHO, [connection.key('echo')], ['one'])), 'one');
    assert.equal(await connection.run('bad script', (r) => r.eval("return redis.call('NO-SUCH-COMMAND')", 0)), undefined);
    assert.equal(connection.available, true);
    assert.equal(logged('redis refused a command'), 1);
    assert.equal(logged('redis unavailable'), 0);
  });

  test('a ping while the first connection is still being made waits for it: connected, not "unavailable" for a second', async () => {
    const fresh = new RedisConnection(
      { url: redis.url, host: '127.0.0.1', port: redis.port, tls: false, namespace: 'conn-test' },
      { logger: createLogger({ level: 'silent' }), purpose: 'test-fresh' },
    );
    try {
      fresh.start();
      assert.equal(fresh.available, false, 'still connecting');
      assert.equal(await fresh.ping(), true);
      assert.equal(await fresh.ping(), true);
    } finally {
      await fresh.close();
    }
  });

  test('the session count moves each time the connection comes up, so that state kept in Redis can be written again', () => {
    assert.equal(connection.sessions, 1);
  });

  test('a client ioredis gave up on (an attempt cut short, as Sentinel\'s failover detector does) connects again', async () => {
    const client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => 100 });
    client.on('error', () => undefined);
    let closed = false;
    keepConnecting(client, () => closed, createLogger({ level: 'silent' }), 'test-end');
    try {
      client.connect().catch(() => undefined);
      client.disconnect(true); // while connecting: ioredis rejects the attempt and ends the client
      await until('ended', () => client.status === 'end' || client.status === 'ready', 2_000);
      await until('connected again', () => client.status === 'ready', 3_000);
      assert.equal(await client.ping(), 'PONG');
    } finally {
      closed = true;
      client.disconnect();
    }
  });

  test('a stalled server: calls give up within the command timeout, and one outage is one log line', async () => {
    redis.pause();
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => timed(() => connection.run('ping', (r) => r.ping()))));
      for (const { value, ms } of results) {
        assert.equal(value, undefined);
        assert.ok(ms < REDIS_COMMAND_TIMEOUT_MS + 400, `gave up after ${Math.round(ms)} ms`);
      }
      // While it is down, calls do not even wait.
      await until('marked unavailable', () => !connection.available);
      const quick = await timed(() => connection.run('ping', (r) => r.ping()));
      assert.equal(quick.value, undefined);
      assert.ok(quick.ms < REDIS_COMMAND_TIMEOUT_MS + 400);
    } finally {
      redis.resume();
    }
    await until('reconnected', () => connection.available);
    assert.equal(await connection.run('ping', (r) => r.ping()), 'PONG');
    assert.equal(logged('redis unavailable'), 1);
    assert.equal(logged('redis available again'), 1);
  });

  test('a stopped server: nothing waits; when it returns, so does the connection, with one line each way', async () => {
    await redis.stop();
    await until('marked unavailable', () => !connection.available);
    const down = await Promise.all(Array.from({ length: 20 }, () => timed(() => connection.run('ping', (r) => r.ping()))));
    assert.ok(down.every(({ value, ms }) => value === undefined && ms < 200), 'answered at once');
    await redis.start();
    await until('reconnected', () => connection.available);
    assert.equal(await connection.run('ping', (r) => r.ping()), 'PONG');
    // The restarted server knows no scripts: EVALSHA fails with NOSCRIPT and the source is sent.
    assert.equal(await connection.run('echo', (r) => runScript(r, ECHO, [connection.key('echo')], ['two'])), 'two');
    assert.equal(logged('redis unavailable'), 2);
    assert.equal(logged('redis available again'), 2);
    assert.equal(connection.sessions, 3);
    assert.ok(lines.every((l) => !JSON.stringify(l).includes('password')), 'no secrets in lines');
  });
});
