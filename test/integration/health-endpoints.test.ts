import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * `/health`, `/health/readiness` and `/health/shared-status` on one gateway without background
 * checks (so `/health` probes now): a probe per mode, the overrides, redacted errors, allow-listed
 * fields, 404 and 503.
 */

const MASTER_KEY = 'sk-health-endpoints-master';
const UPSTREAM_KEY = 'sk-fake-upstream-key-123456';
const LEAKED = 'sk-live-abcdefghijklmnop';
const ALLOWED_FIELDS = new Set(['model', 'model_id', 'api_base', 'api_version', 'mode', 'error']);

let upstream: FakeUpstream;
let gateway: GatewayProcess;

interface Entry { model: string; model_id: string; api_base?: string; mode?: string; error?: string }
interface Report { healthy_endpoints: Entry[]; unhealthy_endpoints: Entry[]; healthy_count: number; unhealthy_count: number; timestamp: number | null; checked_by: string | null }

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('e-bad', { status: 500, errorMessage: `upstream exploded; key ${LEAKED} rejected` });
  upstream.behave('e-hang', { hang: true });
  const base = `${upstream.url}/v1`;
  const withCredentials = base.replace('http://', 'http://user:secret-password@');
  const deployment = (group: string, model: string, info: Record<string, unknown> = {}, params: Record<string, unknown> = {}) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: base, api_key: UPSTREAM_KEY, ...params },
    model_info: { id: model, ...info },
  });
  gateway = await startGateway({
    config: {
      model_list: [
        deployment('chat-group', 'e-chat', { health_check_max_tokens: 5 }, { api_base: withCredentials }),
        deployment('comp', 'e-comp', { mode: 'completion' }),
        deployment('emb', 'e-emb', { mode: 'embedding' }),
        deployment('alias', 'e-alias', { health_check_model: 'openai/e-cheap' }),
        deployment('bad', 'e-bad'),
        deployment('hang', 'e-hang', { health_check_timeout: 1 }),
        { model_name: 'mocked', litellm_params: { model: 'openai/mocked', mock_response: 'hi' }, model_info: { id: 'mocked' } },
        { model_name: 'w/*', litellm_params: { model: 'openai/*', api_base: base }, model_info: { id: 'wild' } },
      ],
      general_settings: { master_key: MASTER_KEY },
    },
    env: { BACKGROUND_HEALTH_CHECK_MAX_TOKENS: '7' },
  });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

async function get(path: string, key: string | null = MASTER_KEY): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(`${gateway.url}${path}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as unknown, text };
}

const ids = (entries: Entry[]) => entries.map((e) => e.model_id).sort();

describe('GET /health without background checks probes now', () => {
  let report: Report;
  let text: string;

  before(async () => {
    upstream.reset();
    upstream.behave('e-bad', { status: 500, errorMessage: `upstream exploded; key ${LEAKED} rejected` });
    upstream.behave('e-hang', { hang: true });
    const answer = await get('/health');
    assert.equal(answer.status, 200, answer.text);
    report = answer.body as Report;
    text = answer.text;
  });

  test('every probeable deployment is listed, healthy or not, with counts', () => {
    assert.deepEqual(ids(report.healthy_endpoints), ['e-alias', 'e-chat', 'e-comp', 'e-emb', 'mocked']);
    assert.deepEqual(ids(report.unhealthy_endpoints), ['e-bad', 'e-hang']);
    assert.equal(report.healthy_count, 5);
    assert.equal(report.unhealthy_count, 2);
    assert.equal(typeof report.timestamp, 'number');
  });

  test('one probe per mode, with max_tokens, health_check_model and health_check_timeout honoured', () => {
    const only = (model: string) => {
      const requests = upstream.requests.filter((r) => r.model === model);
      assert.equal(requests.length, 1, `one probe of ${model}`);
      return requests[0]!;
    };
    const chat = only('e-chat');
    assert.equal(chat.path, '/v1/chat/completions');
    assert.deepEqual(chat.body?.messages, [{ role: 'user', content: 'ping' }]);
    assert.equal(chat.body?.max_tokens, 5, 'model_info.health_check_max_tokens');
    const completion = only('e-comp');
    assert.equal(completion.path, '/v1/completions');
    assert.equal(completion.body?.prompt, 'ping');
    assert.equal(completion.body?.max_tokens, 7, 'BACKGROUND_HEALTH_CHECK_MAX_TOKENS');
    const embedding = only('e-emb');
    assert.equal(embedding.path, '/v1/embeddings');
    assert.equal(embedding.body?.input, 'ping');
    assert.equal(only('e-cheap').path, '/v1/chat/completions', 'health_check_model replaces the model');
    assert.equal(upstream.count('e-alias'), 0);
    assert.equal(upstream.count('mocked'), 0, 'a mock deployment probes without network');
    assert.equal(upstream.count('*'), 0, 'a wildcard deployment without health_check_model is not probed');
    const hang = report.unhealthy_endpoints.find((e) => e.model_id === 'e-hang');
    assert.match(String(hang?.error), /did not finish within 1 s/);
  });

  test('entries carry only allow-listed fields, and nothing secret', () => {
    for (const entry of [...report.healthy_endpoints, ...report.unhealthy_endpoints]) {
      for (const field of Object.keys(entry)) assert.ok(ALLOWED_FIELDS.has(field), `field ${field} of ${entry.model_id}`);
    }
    const chat = report.healthy_endpoints.find((e) => e.model_id === 'e-chat');
    assert.equal(chat?.api_base, `${upstream.url}/v1`, 'api_base without user info');
    assert.equal(chat?.model, 'openai/e-chat');
    const bad = report.unhealthy_endpoints.find((e) => e.model_id === 'e-bad');
    assert.match(String(bad?.error), /upstream exploded/);
    for (const secret of [LEAKED, UPSTREAM_KEY, MASTER_KEY, 'secret-password']) assert.ok(!text.includes(secret), `${secret} does not appear`);
    assert.ok(!gateway.output().includes(LEAKED), 'nor in the logs');
  });
});

describe('GET /health targets', () => {
  test('?model= and ?model_id= narrow the answer', async () => {
    const byGroup = await get('/health?model=chat-group');
    assert.equal(byGroup.status, 200);
    assert.deepEqual(ids((byGroup.body as Report).healthy_endpoints), ['e-chat']);
    const byModel = await get('/health?model=openai/e-comp');
    assert.deepEqual(ids((byModel.body as Report).healthy_endpoints), ['e-comp']);
    const byId = await get('/health?model_id=e-emb');
    assert.equal(byId.status, 200);
    assert.deepEqual(ids((byId.body as Report).healthy_endpoints), ['e-emb']);
    assert.deepEqual((byId.body as Report).unhealthy_endpoints, []);
  });

  test('503 when a targeted model has nothing healthy', async () => {
    const answer = await get('/health?model=bad');
    assert.equal(answer.status, 503);
    assert.deepEqual(ids((answer.body as Report).unhealthy_endpoints), ['e-bad']);
  });

  test('404 for an unknown model_id or model; 401 without the key', async () => {
    const unknownId = await get('/health?model_id=nope');
    assert.equal(unknownId.status, 404);
    assert.deepEqual((unknownId.body as { error: { code: string; param: string } }).error.code, 'not_found');
    const unknownModel = await get('/health?model=nope');
    assert.equal(unknownModel.status, 404);
    assert.equal((unknownModel.body as { error: { code: string } }).error.code, 'model_not_found');
    assert.equal((await get('/health', null)).status, 401);
    assert.equal((await get('/health/shared-status', null)).status, 401);
  });
});

describe('readiness and shared status', () => {
  test('/health/readiness says draining, Redis (not configured) and workers ready out of configured', async () => {
    const answer = await get('/health/readiness', null);
    assert.equal(answer.status, 200);
    const { switchyard_version: version, ...rest } = answer.body as Record<string, unknown>;
    assert.equal(typeof version, 'string');
    assert.deepEqual(rest, { status: 'healthy', draining: false, redis: null, workers: { ready: 1, configured: 1 } });
  });

  test('/health/shared-status has exactly the documented shape', async () => {
    const answer = await get('/health/shared-status');
    assert.equal(answer.status, 200);
    const body = answer.body as { shared_health_check_enabled: boolean; status: Record<string, unknown> };
    assert.deepEqual(Object.keys(body).sort(), ['shared_health_check_enabled', 'status']);
    assert.equal(body.shared_health_check_enabled, false);
    assert.deepEqual(Object.keys(body.status).sort(), [
      'cache_age_seconds', 'cache_available', 'cache_ttl', 'last_checked_by', 'lock_in_progress', 'lock_owner', 'lock_ttl', 'pod_id', 'redis_available',
    ]);
    assert.match(String(body.status.pod_id), new RegExp(`-${gateway.proc.pid}-`), 'the pod id names the host and the primary pid');
    assert.equal(body.status.lock_ttl, 60);
    assert.equal(body.status.cache_ttl, 300);
    assert.equal(body.status.redis_available, false);
  });
});
