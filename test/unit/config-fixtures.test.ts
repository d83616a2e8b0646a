import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfigFile, type Config, type Deployment } from '../../src/config/index.js';
import { FIXTURE_AWS_KEY_ID, FIXTURE_AWS_SECRET, FIXTURE_AZURE_KEY, FIXTURE_MASTER_KEY, FIXTURE_OPENAI_KEY, fixtureEnv, fixturePath } from '../support/config-fixtures.js';

/** Every fixture under test/fixtures/configs loads, with the values its author meant. */

function load(name: string): { config: Config; warnings: readonly string[] } {
  const result = loadConfigFile(fixturePath(name), { env: fixtureEnv() });
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems, null, 2));
  return result.value;
}

function pick(config: Config, index: number): Deployment {
  const deployment = config.deployments[index];
  assert.ok(deployment, `no deployment ${index}`);
  return deployment;
}

describe('config fixtures', () => {
  test('hand-edited: underscores, 1e+06, base 60, hex, a duplicate key, an unquoted date, ~', () => {
    const { config, warnings } = load('hand-edited.yaml');
    const gpt = pick(config, 0);
    assert.deepEqual([gpt.id, gpt.params.rpm, gpt.params.tpm, gpt.params.timeoutMs], ['gpt4o-primary', 450_000, 1_000_000, 45_000]);
    assert.deepEqual(gpt.params.defaults, { temperature: 0.2, max_tokens: 1024, stop: ['\n\nHuman:', '###'] });
    const azure = pick(config, 1);
    assert.deepEqual([azure.provider, azure.model, azure.params.apiVersion, azure.params.organization, azure.params.weight], ['azure', 'gpt-4o-eu', '2024-06-01', undefined, 2]);
    const cheap = pick(config, 2);
    assert.deepEqual([cheap.provider, cheap.params.defaults.seed, cheap.info.disableBackgroundHealthCheck], ['openai', 42, true]);
    assert.deepEqual(config.modelGroups, ['gpt-4o', 'cheap', 'text-embedding-3-small']);
    assert.equal(config.health.intervalMs, 90_000);
    assert.equal(config.health.backgroundChecks, false);
    assert.deepEqual([config.router.numRetries, config.router.allowedFails, config.router.cooldownMs], [3, 2, 500]);
    assert.equal(config.masterKey, FIXTURE_MASTER_KEY);
    assert.deepEqual(warnings, ['duplicate keys, the last value wins: model_list[0].litellm_params.max_tokens (line 17)']);
    assert.ok(config.deployments.every((d) => d.params.dropParams), 'litellm_settings.drop_params: True reaches every deployment');
  });

  test('helm-rendered: every number a string, numbers from os.environ/ and environment_variables', () => {
    const { config, warnings } = load('helm-rendered.yaml');
    const gpt = pick(config, 0);
    assert.deepEqual(
      [gpt.params.apiKey, gpt.params.rpm, gpt.params.tpm, gpt.params.timeoutMs, gpt.params.streamTimeoutMs, gpt.params.maxRetries, gpt.info.healthCheckTimeoutMs],
      [FIXTURE_OPENAI_KEY, 500, 2_000_000, 30_000, 15_500, 0, 10_000],
    );
    assert.equal(pick(config, 1).params.order, 1);
    assert.equal(pick(config, 2).info.mode, 'embedding');
    assert.deepEqual([config.router.numRetries, config.router.timeoutMs, config.router.cooldownMs, config.router.allowedFails], [4, 60_000, 30_000, 3]);
    assert.deepEqual(
      [config.redis?.host, config.redis?.port, config.redis?.password, config.redis?.tls],
      ['127.0.0.1', 6390, 'fixture-redis-pass-2345', false],
    );
    assert.equal(config.maxRequestBytes, 16 * 1024 * 1024);
    assert.equal(config.health.backgroundChecks, false);
    assert.deepEqual(warnings, []);
  });

  test('anchor-heavy: <<: [*a, *b] lets earlier maps win and the entry\'s own keys beat all', () => {
    const { config, warnings } = load('anchor-heavy.yaml');
    const [fast, precise, backup, mocked] = [0, 1, 2, 3].map((i) => pick(config, i));
    assert.deepEqual([fast!.params.timeoutMs, fast!.params.rpm, fast!.params.tpm, fast!.params.defaults], [20_000, 600, 90_000, { temperature: 0.7 }]);
    assert.deepEqual([precise!.params.tpm, precise!.params.defaults], [50_000, { temperature: 0, top_p: 1 }]);
    assert.deepEqual([backup!.model, backup!.params.defaults, backup!.info.baseModel], ['gpt-4o-backup', { temperature: 0.1 }, 'gpt-4o']);
    assert.deepEqual([mocked!.params.timeoutMs, mocked!.params.mockResponse, mocked!.info.baseModel], [99_000, 'anchored mock', 'gpt-4o']);
    assert.deepEqual(config.deployments.map((d) => d.id).slice(0, 3), ['fast-1', 'precise-1', 'precise-2']);
    assert.deepEqual([config.router.numRetries, config.router.allowedFails], [1, 9]);
    assert.deepEqual(warnings, ['top-level sections Switchyard does not implement, ignored: x-upstream, x-limits, x-strict, x-info']);
  });

  test('credential-based: the credential fills what the deployment leaves unset; inline values win', () => {
    const { config, warnings } = load('credential-based.yaml');
    const [shared, ownOrg, azure, none] = [0, 1, 2, 3].map((i) => pick(config, i).params);
    assert.deepEqual([shared!.apiKey, shared!.apiBase, shared!.organization], [FIXTURE_OPENAI_KEY, 'http://127.0.0.1:9/v1', 'org-from-credential']);
    assert.deepEqual([ownOrg!.apiKey, ownOrg!.organization], [FIXTURE_OPENAI_KEY, 'org-inline']);
    assert.deepEqual([azure!.apiKey, azure!.apiBase, azure!.apiVersion], [FIXTURE_AZURE_KEY, 'http://127.0.0.1:9', '2025-01-01-preview']);
    assert.deepEqual([none!.apiKey, none!.apiBase], [undefined, undefined]);
    assert.deepEqual(warnings, []);
  });

  test('include-based: fragments appended in include order (nested ones in place), settings merged', () => {
    const { config, warnings } = load('include-based/config.yaml');
    assert.deepEqual(config.deployments.map((d) => `${d.modelName}:${d.provider}/${d.model}`), [
      'house-mock:openai/house', 'gpt-4o:openai/gpt-4o', 'gpt-4o-mini:openai/gpt-4o-mini', 'gpt-4o:azure/gpt-4o-eu',
    ]);
    assert.equal(pick(config, 2).params.mockResponse, 'from the nested include');
    assert.equal(pick(config, 3).params.apiVersion, '2024-06-01');
    assert.deepEqual([config.router.numRetries, config.router.timeoutMs], [5, 300_000], 'the fragment wins num_retries; request_timeout is kept');
    assert.deepEqual([config.router.strategy, config.router.cooldownMs], ['least-busy', 12_000]);
    assert.equal(config.masterKey, FIXTURE_MASTER_KEY);
    assert.deepEqual(warnings, ["settings set in more than one file, the included file's value wins: litellm_settings.num_retries (shared/settings.yaml)"]);
  });

  test('enterprise: sections, keys, providers, modes and caching it does not implement are named, not fatal', () => {
    const { config, warnings } = load('enterprise.yaml');
    assert.equal(config.deployments.length, 6);
    assert.deepEqual(config.deployments.map((d) => d.provider), ['openai', 'bedrock', 'vertex_ai', 'gemini', 'cohere', 'openai']);
    assert.equal(pick(config, 1).model, 'anthropic.claude-3-5-sonnet-20240620-v1:0');
    assert.deepEqual(pick(config, 1).params.aws, { accessKeyId: FIXTURE_AWS_KEY_ID, secretAccessKey: FIXTURE_AWS_SECRET, sessionToken: undefined, regionName: 'us-east-1', runtimeEndpoint: undefined });
    assert.equal(config.router.strategy, 'usage-based-routing-v2');
    assert.equal(warnings.length, 5, warnings.join('\n'));
    assert.equal(config.cache?.type, 'local', 'cache: true with cache_params.type local is implemented now');
    assert.equal(warnings[0], 'top-level sections Switchyard does not implement, ignored: x-bedrock-defaults, guardrails, mcp_servers, callback_settings');
    assert.equal(warnings[1], 'keys in the wrong section, ignored: general_settings.num_retries (belongs in router_settings or litellm_settings), general_settings.routing_strategy (belongs in router_settings), litellm_settings.master_key (belongs in general_settings)');
    assert.match(warnings[2]!, /^unknown config keys, ignored: .*general_settings\.store_model_in_db.*litellm_settings\.success_callback/);
    // database_url is read (spend logs); naming a variable that is not set turns them off, nothing else.
    assert.equal(warnings[3], 'general_settings.database_url: environment variable DATABASE_URL_NOT_SET_HERE is not set (referenced as os.environ/DATABASE_URL_NOT_SET_HERE); spend logs are off');
    assert.equal(config.database, undefined);
    assert.match(warnings[4]!, /^model_info\.mode values Switchyard does not implement .*: model_list\[4\]\.model_info\.mode \(rerank\), model_list\[5\]\.model_info\.mode \(image_generation\)$/);
  });

  test('bedrock-based: AWS keys from a credential or the environment, regions per deployment, the runtime endpoint', () => {
    const { config, warnings } = load('bedrock-based.yaml');
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.deployments.map((d) => [d.provider, d.model]), [
      ['bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0'], ['bedrock', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0'],
      ['bedrock', 'converse/meta.llama3-1-70b-instruct-v1:0'], ['bedrock', 'amazon.titan-embed-text-v2:0'], ['bedrock', 'cohere.embed-english-v3'],
    ]);
    assert.deepEqual(pick(config, 0).params.aws, { accessKeyId: FIXTURE_AWS_KEY_ID, secretAccessKey: FIXTURE_AWS_SECRET, sessionToken: undefined, regionName: 'us-west-2', runtimeEndpoint: undefined });
    assert.equal(pick(config, 1).params.defaults.max_tokens, 8192);
    assert.deepEqual(pick(config, 2).params.aws, { accessKeyId: undefined, secretAccessKey: undefined, sessionToken: undefined, regionName: 'us-west-2', runtimeEndpoint: 'http://127.0.0.1:9' });
    assert.equal(pick(config, 4).info.mode, 'embedding');
  });

  test('empty model_list, docs quick start, misplaced keys, null-heavy, wildcards', () => {
    const empty = load('empty-model-list.yaml');
    assert.deepEqual([empty.config.deployments.length, empty.config.modelGroups.length, empty.config.masterKey], [0, 0, FIXTURE_MASTER_KEY]);

    const docs = load('docs-quickstart.yaml').config;
    assert.deepEqual(docs.modelGroups, ['gpt-3.5-turbo', 'vllm-models']);
    assert.deepEqual(docs.deployments.map((d) => [d.provider, d.model, d.params.rpm]), [
      ['azure', 'gpt-turbo-small-eu', 6], ['azure', 'gpt-turbo-small-ca', 6], ['openai', 'facebook/opt-125m', 1440],
    ]);
    assert.equal(docs.masterKey, 'sk-1234');

    const misplaced = load('misplaced-keys.yaml');
    assert.deepEqual(misplaced.warnings, [
      'keys in the wrong section, ignored: model_list[0].litellm_params.mode (belongs in model_info), model_list[0].litellm_params.base_model (belongs in model_info), model_list[0].rpm (belongs in litellm_params), general_settings.fallbacks (belongs in router_settings or litellm_settings), general_settings.cooldown_time (belongs in router_settings), litellm_settings.routing_strategy (belongs in router_settings), litellm_settings.database_url (belongs in general_settings), router_settings.success_callback (belongs in litellm_settings), master_key (belongs in general_settings)',
      'unknown config keys, ignored: router_settings.totally_made_up_setting',
    ]);
    assert.deepEqual([misplaced.config.masterKey, misplaced.config.router.cooldownMs, pick(misplaced.config, 0).params.rpm], [FIXTURE_MASTER_KEY, 5000, undefined], 'misplaced keys do nothing');

    const nulls = load('null-heavy.yaml');
    const generated = pick(nulls.config, 0);
    assert.deepEqual([generated.params.apiKey, generated.params.apiBase, generated.params.rpm, generated.params.timeoutMs, generated.info.mode], [undefined, undefined, undefined, undefined, 'chat']);
    assert.match(generated.id, /^[0-9a-f]{16}$/);
    assert.deepEqual([nulls.config.masterKey, nulls.config.router.strategy, nulls.config.router.numRetries, nulls.config.health.intervalMs], [undefined, 'simple-shuffle', 2, 300_000]);
    assert.deepEqual(nulls.warnings, []);

    const wildcards = load('wildcard-based.yaml').config;
    assert.deepEqual(wildcards.modelGroups, ['gpt-4o', 'openai/*', 'team-a/*', 'gpt-*', 'claude-*', 'gemini-*', '*']);
    assert.deepEqual(wildcards.deployments.map((d) => `${d.provider}/${d.model}`), ['openai/gpt-4o-pinned', 'openai/*', 'openai/*', 'openai/gpt-*', 'anthropic/claude-*', 'vertex_ai/gemini-*', 'openai/*']);
  });
});
