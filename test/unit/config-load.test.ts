import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfigText, type LoadResult } from '../../src/config/index.js';

function load(text: string, env: NodeJS.ProcessEnv = {}): LoadResult {
  return loadConfigText(text, 'test.yaml', { env });
}

function ok(text: string, env: NodeJS.ProcessEnv = {}) {
  const result = load(text, env);
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems));
  return result.value;
}

describe('config loading', () => {
  test('os.environ/ is resolved everywhere, inside lists too', () => {
    const { config } = ok(`
model_list:
  - model_name: m
    litellm_params:
      model: openai/x
      api_key: os.environ/KEY_A
      stop: [os.environ/STOP_A, "literal"]
      extra_headers: {x-team: os.environ/TEAM}
`, { KEY_A: 'sk-aaaaaaaa', STOP_A: 'END', TEAM: 'blue' });
    const params = config.deployments[0]!.params;
    assert.equal(params.apiKey, 'sk-aaaaaaaa');
    assert.deepEqual(params.defaults.stop, ['END', 'literal']);
    assert.equal(params.extraHeaders['x-team'], 'blue');
  });

  test('drop_params: a deployment\'s own beats litellm_settings\'; additional_drop_params is per deployment; no warning', () => {
    const { config, warnings } = ok(`
litellm_settings: {drop_params: true}
model_list:
  - {model_name: a, litellm_params: {model: anthropic/x}}
  - {model_name: b, litellm_params: {model: anthropic/y, drop_params: false, additional_drop_params: [temperature, seed]}}
`);
    assert.deepEqual(config.deployments.map((d) => [d.params.dropParams, d.params.additionalDropParams]), [[true, []], [false, ['temperature', 'seed']]]);
    assert.deepEqual(warnings, []);
    assert.equal(ok('model_list: [{model_name: a, litellm_params: {model: openai/x}}]').config.deployments[0]!.params.dropParams, false);
  });

  test('a missing os.environ/ variable is an error naming the key path and the variable', () => {
    const result = load('model_list:\n  - model_name: m\n    litellm_params: {model: openai/x, api_key: os.environ/NOPE}\n');
    assert.ok(!result.ok);
    assert.deepEqual(result.problems, [{ path: 'model_list[0].litellm_params.api_key', message: 'environment variable NOPE is not set (referenced as os.environ/NOPE)' }]);
  });

  test('environment_variables are applied before anything is resolved, and reach the env', () => {
    const env: NodeJS.ProcessEnv = {};
    const { config } = ok(`
environment_variables: {MY_BASE: "http://127.0.0.1:9/v1", RETRIES: 4}
model_list:
  - model_name: m
    litellm_params: {model: openai/x, api_base: os.environ/MY_BASE}
litellm_settings: {num_retries: os.environ/RETRIES}
`, env);
    assert.equal(config.deployments[0]!.params.apiBase, 'http://127.0.0.1:9/v1');
    assert.equal(config.router.numRetries, 4);
    assert.equal(env.MY_BASE, 'http://127.0.0.1:9/v1');
    assert.equal(config.environment.RETRIES, '4');
  });

  test('numeric and boolean strings are accepted where numbers and booleans are expected', () => {
    const { config } = ok(`
model_list:
  - model_name: m
    litellm_params: {model: openai/x, timeout: "30", rpm: "1_000", weight: "2.5"}
general_settings: {health_check_interval: "60", background_health_checks: "true"}
router_settings: {cooldown_time: "7", allowed_fails: "1"}
`);
    const p = config.deployments[0]!.params;
    assert.equal(p.timeoutMs, 30_000);
    assert.equal(p.rpm, 1000);
    assert.equal(p.weight, 2.5);
    assert.equal(config.health.intervalMs, 60_000);
    assert.equal(config.health.backgroundChecks, true);
    assert.equal(config.router.cooldownMs, 7000);
    assert.equal(config.router.allowedFails, 1);
  });

  test('every error is reported at once, each with its path', () => {
    const result = load(`
model_list:
  - model_name: m
    litellm_params: {model: openai/x, rpm: many}
  - litellm_params: {model: openai/y}
general_settings: {master_key: 12}
router_settings: {num_retries: -1}
`);
    assert.ok(!result.ok);
    const paths = result.problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['general_settings.master_key', 'model_list[0].litellm_params.rpm', 'model_list[1].model_name', 'router_settings.num_retries']);
  });

  test('unknown keys: one warning per kind naming them all; model_info metadata is not warned about', () => {
    const result = ok(`
model_list:
  - model_name: m
    litellm_params: {model: openai/x, mystery: 1}
    model_info: {input_cost_per_token: 0.001, description: cheap}
general_settings: {alerting: [slack]}
x-anchors: {a: 1}
`);
    assert.deepEqual(result.warnings, [
      'top-level sections Switchyard does not implement, ignored: x-anchors',
      'unknown config keys, ignored: model_list[0].litellm_params.mystery, general_settings.alerting',
    ]);
  });

  test('model_info.id is generated when missing: stable for the same entry, distinct for different or repeated ones', () => {
    const text = `
model_list:
  - model_name: m
    litellm_params: {model: openai/x, api_key: os.environ/K}
  - model_name: m
    litellm_params: {model: openai/y}
  - model_name: m
    litellm_params: {model: openai/y}
  - model_name: n
    litellm_params: {model: openai/z}
    model_info: {id: my-own-id}
`;
    const first = ok(text, { K: 'sk-one-one-one' }).config.deployments.map((d) => d.id);
    const second = ok(text, { K: 'sk-two-two-two' }).config.deployments.map((d) => d.id);
    assert.deepEqual(first, second, 'ids do not depend on secret values');
    assert.equal(new Set(first).size, 4);
    assert.equal(first[3], 'my-own-id');
    assert.match(first[0]!, /^[0-9a-f]{16}$/);
  });

  test('providers are split from the model name; defaults fill what the file leaves out', () => {
    const { config } = ok(`
model_list:
  - {model_name: a, litellm_params: {model: azure/my-deploy}}
  - {model_name: b, litellm_params: {model: claude-3-haiku}}
  - {model_name: c, litellm_params: {model: gpt-4o}}
  - {model_name: d, litellm_params: {model: openai/meta-llama/Llama-3-8B}}
`);
    assert.deepEqual(config.deployments.map((d) => [d.provider, d.model]), [
      ['azure', 'my-deploy'], ['anthropic', 'claude-3-haiku'], ['openai', 'gpt-4o'], ['openai', 'meta-llama/Llama-3-8B'],
    ]);
    assert.equal(config.router.numRetries, 2);
    assert.equal(config.router.cooldownMs, 5000);
    assert.equal(config.health.intervalMs, 300_000);
    assert.equal(config.health.sharedLockTtlMs, 60_000);
    assert.equal(config.maxRequestBytes, 32 * 1024 * 1024);
    assert.equal(config.maxResponseBytes, 64 * 1024 * 1024);
    assert.equal(config.deployments[0]!.info.mode, 'chat');
  });

  test('environment beats the file: master key, shared health check, Redis', () => {
    const text = `
general_settings: {master_key: sk-file, use_shared_health_check: false}
litellm_settings: {cache_params: {type: redis, host: file-host, port: 7000, password: file-pass}}
`;
    const fromFile = ok(text).config;
    assert.equal(fromFile.masterKey, 'sk-file');
    assert.deepEqual([fromFile.redis?.host, fromFile.redis?.port, fromFile.redis?.password], ['file-host', 7000, 'file-pass']);
    const fromEnv = ok(text, { LITELLM_MASTER_KEY: 'sk-env', USE_SHARED_HEALTH_CHECK: 'true', REDIS_HOST: 'env-host', REDIS_PORT: '6390' }).config;
    assert.equal(fromEnv.masterKey, 'sk-env');
    assert.equal(fromEnv.health.shared, true);
    assert.deepEqual([fromEnv.redis?.host, fromEnv.redis?.port], ['env-host', 6390]);
  });

  test('Redis Cluster, Sentinel, TLS and ACL settings by LiteLLM\'s names', () => {
    const cluster = ok(`
litellm_settings:
  cache_params: {type: redis, redis_startup_nodes: [{host: 10.0.0.1, port: 7000}, {host: 10.0.0.2, port: 7001}], username: app, password: pw, ssl: true, ssl_ca_certs: /etc/ca.pem}
`).config.redis;
    assert.deepEqual(cluster?.cluster, [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }]);
    assert.deepEqual([cluster?.username, cluster?.password, cluster?.tls, cluster?.caCertsFile], ['app', 'pw', true, '/etc/ca.pem']);
    const sentinel = ok(`
router_settings: {service_name: mymaster, sentinel_nodes: [[10.0.0.5, 26379]], sentinel_password: spw}
`).config.redis;
    assert.deepEqual(sentinel?.sentinel, { nodes: [{ host: '10.0.0.5', port: 26379 }], serviceName: 'mymaster', password: 'spw' });
    const fromEnv = ok('model_list: []', {
      REDIS_CLUSTER_NODES: '[{"host": "10.1.0.1", "port": 7000}]',
      REDIS_SENTINEL_NODES: '[["10.1.0.9", 26379]]',
      REDIS_SERVICE_NAME: 'primary',
    }).config.redis;
    assert.deepEqual(fromEnv?.cluster, [{ host: '10.1.0.1', port: 7000 }]);
    assert.equal(fromEnv?.sentinel?.serviceName, 'primary');
    assert.equal(ok('router_settings: {redis_url: "rediss://u:p@h:6380"}').config.redis?.tls, true);
    const bad = load('model_list: []', { REDIS_CLUSTER_NODES: 'host1:7000' });
    assert.ok(!bad.ok && bad.problems.some((p) => p.path === 'environment REDIS_CLUSTER_NODES'));
    const noName = load('router_settings: {sentinel_nodes: [[h, 26379]]}');
    assert.ok(!noName.ok && noName.problems.some((p) => /service_name/.test(p.message)));
  });

  test('YAML 1.1 as LiteLLM reads it: merge keys, 1e+06, dates kept as strings', () => {
    const { config } = ok(`
x-base: &base {model: openai/x, api_version: 2024-06-01, tpm: 1e+06}
model_list:
  - model_name: m
    litellm_params:
      <<: *base
      rpm: 450_000
`);
    const p = config.deployments[0]!.params;
    assert.equal(p.apiVersion, '2024-06-01');
    assert.equal(p.tpm, 1_000_000);
    assert.equal(p.rpm, 450_000);
  });

  test('an empty file is a valid config with no deployments; a non-mapping is an error', () => {
    assert.equal(ok('').config.deployments.length, 0);
    assert.equal(ok('model_list:\n').config.deployments.length, 0);
    const list = load('- a\n- b\n');
    assert.ok(!list.ok);
    assert.match(list.problems[0]!.message, /must be a YAML mapping/);
  });

  test('the loaded config is frozen', () => {
    const { config } = ok('model_list:\n  - {model_name: m, litellm_params: {model: openai/x}}\n');
    assert.throws(() => {
      (config.deployments as unknown as unknown[]).push(1);
    });
  });
});

test('booleans as PyYAML reads them: yes/no/on/off are booleans, y and n are strings', () => {
  const { config } = ok(`
model_list:
  - {model_name: n, litellm_params: {model: openai/y, mock_response: "ok"}}
general_settings: {background_health_checks: yes, health_check_details: off}
`);
  assert.equal(config.deployments[0]!.modelName, 'n');
  assert.equal(config.deployments[0]!.model, 'y');
  assert.equal(config.health.backgroundChecks, true);
  assert.equal(config.health.details, false);
});
