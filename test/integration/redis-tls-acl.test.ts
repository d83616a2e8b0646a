import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { startRedisTls, type RedisTlsProcess } from '../support/redis-tls.js';
import { askCached } from '../support/topology-features.js';

/**
 * Redis as managed services run it: TLS only (a test CA made by openssl, `rediss://` and
 * `ssl_ca_certs`), an ACL user (`username` + `password`; the default user is off). Three gateway
 * processes: one with the right settings (shares through Redis), one without the CA (the server's
 * certificate is refused) and one with a wrong password: each of the last two says why once at
 * start-up and keeps serving locally, never crashing.
 */

const USER = { name: 'switchyard-gw', password: 'acl-secret-4f9c' };
const WRONG_PASSWORD = 'not-the-acl-secret-77';

let redis: RedisTlsProcess;
let upstream: FakeUpstream;
let good: GatewayProcess;
let noCa: GatewayProcess;
let wrong: GatewayProcess;

const client = (gateway: GatewayProcess) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'anything', maxRetries: 0 });

before(async () => {
  [redis, upstream] = await Promise.all([startRedisTls([USER]), startFakeUpstream()]);
  const config = (cacheParams: Record<string, unknown>) => ({
    model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key' } }],
    litellm_settings: { cache: true, cache_params: { type: 'redis', mode: 'default_off', ...cacheParams } },
    router_settings: { routing_strategy: 'usage-based-routing-v2' },
  });
  const url = `rediss://127.0.0.1:${redis.port}`;
  [good, noCa, wrong] = await Promise.all([
    startGateway({ config: config({ url, ssl_ca_certs: redis.caFile, username: USER.name, password: USER.password }) }),
    startGateway({ config: config({ url, username: USER.name, password: USER.password }) }),
    startGateway({ config: config({ host: '127.0.0.1', port: redis.port, ssl: true, ssl_ca_certs: redis.caFile, username: USER.name, password: WRONG_PASSWORD }) }),
  ]);
});

after(async () => {
  await stopAllGateways();
  await upstream?.close();
  await redis?.stop();
});

async function readiness(gateway: GatewayProcess): Promise<{ status: number; redis: unknown }> {
  const response = await fetch(`${gateway.url}/health/readiness`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, redis: ((await response.json()) as { redis?: unknown }).redis };
}

function redisLines(gateway: GatewayProcess, level: string) {
  return gateway.logs.filter((l) => l.level === level && typeof l.redis === 'string');
}

describe('Redis over TLS with an ACL user', () => {
  test('rediss:// with ssl_ca_certs and the ACL user: connected, and the cache lives in that Redis', async () => {
    assert.deepEqual(await readiness(good), { status: 200, redis: 'connected' });
    const first = await askCached(client(good), 'gpt', 'over tls');
    const second = await askCached(client(good), 'gpt', 'over tls');
    assert.equal(second.key, first.key);
    assert.equal(upstream.requests.filter((r) => JSON.stringify(r.body?.messages ?? '').includes('over tls')).length, 1, 'the second call was a hit');
    const [callType, hash] = String(first.key).split(':');
    assert.match(String(redis.cli(USER, 'EXISTS', `switchyard:cache:${callType}:${hash}`)), /^1$/);
    // Every connection of the gateway is the ACL user's (the default user is off anyway).
    const clients = String(redis.cli(USER, 'CLIENT', 'LIST')).split('\n').filter((l) => / name=switchyard-/.test(l));
    assert.ok(clients.length >= 2, `gateway connections: ${clients.length}`);
    for (const line of clients) assert.match(line, new RegExp(` user=${USER.name} `));
    assert.deepEqual(redisLines(good, 'error'), []);
    assert.deepEqual(redisLines(good, 'warn'), []);
  });

  test('without ssl_ca_certs the test CA is not trusted: a warning naming the setting, local fallback, still serving', async () => {
    assert.deepEqual(await readiness(noCa), { status: 200, redis: 'unavailable' });
    const { response } = await client(noCa).chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(response.status, 200);
    const lines = redisLines(noCa, 'warn');
    assert.ok(lines.length >= 1);
    assert.match(String(lines[0]?.msg), /^redis's TLS certificate is not trusted \(check ssl_ca_certs/);
    assert.match(String(lines[0]?.error), /certificate/i);
    assert.deepEqual(redisLines(noCa, 'error'), [], 'a refused certificate is a warning naming the setting, not an outage');
    assert.equal(noCa.proc.exitCode, null);
  });

  test('a wrong password: a start-up warning naming the credentials, local fallback, never a crash, still serving', async () => {
    await wrong.waitForLog((l) => l.msg?.startsWith('redis refused our credentials') === true, 5_000, 'the credentials warning');
    const warning = wrong.logs.find((l) => l.msg?.startsWith('redis refused our credentials'));
    assert.equal(warning?.level, 'warn');
    assert.match(String(warning?.error), /WRONGPASS|invalid username-password/);
    assert.deepEqual(await readiness(wrong), { status: 200, redis: 'unavailable' });
    for (let i = 0; i < 5; i++) {
      const { response } = await client(wrong).chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: `hi ${i}` }] }).withResponse();
      assert.equal(response.status, 200);
    }
    // Cached calls fall back to a miss, not an error.
    await askCached(client(wrong), 'gpt', 'wrong password');
    assert.equal(wrong.proc.exitCode, null);
    assert.deepEqual(redisLines(wrong, 'error'), [], 'a refused password is a warning, not an outage');
  });

  test('no password appears in any log line', () => {
    for (const gateway of [good, noCa, wrong]) {
      const text = gateway.output();
      assert.ok(!text.includes(USER.password), 'the ACL password');
      assert.ok(!text.includes(WRONG_PASSWORD), 'the wrong password');
    }
  });
});
