import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfigFile, loadConfigText, type LoadResult } from '../../src/config/index.js';

/** The LiteLLM config surface at its edges: PyYAML's reading, include, credentials, fatal errors. */

function loadText(text: string, env: NodeJS.ProcessEnv = {}): LoadResult {
  return loadConfigText(text, null, { env });
}

function ok(result: LoadResult) {
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems));
  return result.value;
}

function problems(result: LoadResult): string[] {
  assert.ok(!result.ok, 'expected the config to be refused');
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

/** Writes files into a fresh folder; returns the folder. */
function files(tree: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-include-'));
  for (const [name, text] of Object.entries(tree)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('YAML as PyYAML reads it', () => {
  test('scalars: only PyYAML numbers are numbers; everything else stays the text written', () => {
    const { config } = ok(loadText(`
model_list:
  - model_name: m
    litellm_params:
      model: openai/x
      extra_headers: {a: 1e+06, b: 09, c: 017, d: 1.0e+06, e: 2024-06-01, f: y, g: 1_000, h: 1.5e3, i: 0b101}
      mock_response: 2024-06-01 12:30:00
e2: {e3: 1}
`));
    const deployment = config.deployments[0]!;
    assert.deepEqual(deployment.params.extraHeaders, { a: '1e+06', b: '09', c: '15', d: '1000000', e: '2024-06-01', f: 'y', g: '1000', h: '1.5e3', i: '5' });
    assert.equal(deployment.params.mockResponse, '2024-06-01 12:30:00');
  });

  test('a duplicate key keeps the last value and is named with its line; overriding a merged key is not a duplicate', () => {
    const result = ok(loadText(`
x-base: &base {model: openai/x, rpm: 1}
model_list:
  - model_name: m
    litellm_params:
      <<: *base
      rpm: 2
      tpm: 10
      tpm: 20
  - model_name: m
    model_name: n
    litellm_params: {model: openai/y}
`));
    assert.deepEqual(result.config.deployments.map((d) => [d.modelName, d.params.rpm, d.params.tpm]), [['m', 2, 20], ['n', undefined, undefined]]);
    assert.equal(result.warnings[0], 'duplicate keys, the last value wins: model_list[0].litellm_params.tpm (line 9), model_list[1].model_name (line 11)');
  });

  test('~ is unset everywhere: a null inline value lets the credential fill it', () => {
    const { config } = ok(loadText(`
credential_list:
  - {credential_name: c, credential_values: {api_key: sk-from-credential, api_base: ~}}
model_list:
  - model_name: m
    litellm_params: {model: openai/x, api_key: ~, api_base: null, litellm_credential_name: c}
`));
    assert.equal(config.deployments[0]!.params.apiKey, 'sk-from-credential');
    assert.equal(config.deployments[0]!.params.apiBase, undefined);
  });
});

describe('include', () => {
  test('entries appended after the including file\'s, relative to each including file; LiteLLM\'s root-relative paths still found', () => {
    const dir = files({
      'config.yaml': 'include: [teams/a.yaml]\nmodel_list:\n  - {model_name: root, litellm_params: {model: openai/root}}\n',
      'teams/a.yaml': 'include: [b.yaml, teams/c.yaml]\nmodel_list:\n  - {model_name: a, litellm_params: {model: openai/a}}\n',
      'teams/b.yaml': 'model_list:\n  - {model_name: b, litellm_params: {model: openai/b}}\n',
      'teams/c.yaml': 'model_list:\n  - {model_name: c, litellm_params: {model: openai/c}}\n',
    });
    const { config, warnings } = ok(loadConfigFile(join(dir, 'config.yaml'), { env: {} }));
    assert.deepEqual(config.modelGroups, ['root', 'a', 'b', 'c']);
    assert.deepEqual(warnings, ["included files found relative to the main config's folder rather than the including file's: teams/a.yaml include[1] (teams/c.yaml)"]);
  });

  test('a missing file, a cycle and a malformed include are errors naming the file and the key path', () => {
    const dir = files({
      'config.yaml': 'include: [missing.yaml, loop.yaml, list.yaml]\n',
      'loop.yaml': 'include: [config.yaml]\n',
      'list.yaml': '- not a mapping\n',
    });
    assert.deepEqual(problems(loadConfigFile(join(dir, 'config.yaml'), { env: {} })), [
      `include[0]: included file not found: ${join(dir, 'missing.yaml')}`,
      'loop.yaml include[0]: include cycle: config.yaml → loop.yaml → config.yaml',
      'list.yaml: the config must be a YAML mapping of sections (model_list, general_settings, …)',
    ]);
    assert.deepEqual(problems(loadText('include: {a: 1}\n')), ['include: expected a list of file paths']);
  });

  test('a problem in an included entry names the file it came from; os.environ/ is resolved after merging', () => {
    const dir = files({
      'config.yaml': 'include: [models.yaml]\nenvironment_variables: {BASE_FROM_ROOT: "http://127.0.0.1:9/v1"}\n',
      'models.yaml': 'model_list:\n  - {model_name: ok, litellm_params: {model: openai/ok, api_base: os.environ/BASE_FROM_ROOT}}\n  - {model_name: bad, litellm_params: {model: openai/bad, rpm: lots}}\n',
    });
    assert.deepEqual(problems(loadConfigFile(join(dir, 'config.yaml'), { env: {} })), [
      'model_list[1].litellm_params.rpm: expected a number, got string "lots" [models.yaml]',
    ]);
  });
});

describe('credentials', () => {
  test('an unknown credential name is an error naming the key path; a repeated name warns and the first wins', () => {
    const text = `
credential_list:
  - {credential_name: one, credential_values: {api_key: sk-first-one}}
  - {credential_name: one, credential_values: {api_key: sk-second-one}}
model_list:
  - {model_name: a, litellm_params: {model: openai/a, litellm_credential_name: one}}
  - {model_name: b, litellm_params: {model: openai/b, litellm_credential_name: two}}
`;
    assert.deepEqual(problems(loadText(text)), ['model_list[1].litellm_params.litellm_credential_name: no credential named "two" in credential_list (it has: one)']);
    const { config, warnings } = ok(loadText(text.replace('litellm_credential_name: two', 'litellm_credential_name: one')));
    assert.equal(config.deployments[1]!.params.apiKey, 'sk-first-one');
    assert.deepEqual(warnings, ['credential names used more than once, the first one is used: credential_list[1].credential_name (one)']);
  });

  test('credential values are checked where they are written', () => {
    const text = `
credential_list:
  - credential_name: aws
    credential_values: {aws_role_name: gateway-role, timeout: soon, api_key: os.environ/NOT_SET_ANYWHERE}
`;
    assert.deepEqual(problems(loadText(text)), [
      'credential_list[0].credential_values.api_key: environment variable NOT_SET_ANYWHERE is not set (referenced as os.environ/NOT_SET_ANYWHERE)',
      'credential_list[0].credential_values.timeout: expected a number, got string "soon"',
    ]);
    const fine = ok(loadText(text.replace('timeout: soon, ', '').replace('os.environ/NOT_SET_ANYWHERE', 'k')));
    assert.deepEqual(fine.warnings, ['unknown config keys, ignored: credential_list[0].credential_values.aws_role_name']);
  });
});

describe('fatal errors name their key path', () => {
  test('missing os.environ/ variable, non-numeric interval, deployment without model', () => {
    assert.deepEqual(problems(loadText('general_settings: {master_key: os.environ/NOT_SET_MK}\n')), [
      'general_settings.master_key: environment variable NOT_SET_MK is not set (referenced as os.environ/NOT_SET_MK)',
    ]);
    assert.deepEqual(problems(loadText('general_settings: {health_check_interval: every 5 minutes}\n')), [
      'general_settings.health_check_interval: expected a number, got string "every 5 minutes"',
    ]);
    assert.deepEqual(problems(loadText('model_list:\n  - model_name: m\n    litellm_params: {api_base: "http://x"}\n')), [
      'model_list[0].litellm_params.model: is required',
    ]);
  });

  test('a missing variable under an ignored key is not an error: the value is never used', () => {
    const { warnings } = ok(loadText(`
x-secrets: {key: os.environ/NOT_SET_A}
guardrails: [{guardrail_name: g, litellm_params: {api_key: os.environ/NOT_SET_B}}]
general_settings: {alert_to_webhook_url: os.environ/NOT_SET_C}
`));
    assert.deepEqual(warnings, [
      'top-level sections Switchyard does not implement, ignored: x-secrets, guardrails',
      'unknown config keys, ignored: general_settings.alert_to_webhook_url',
    ]);
  });

  test('numbers: numeric strings with underscores, exponents and a trailing dot; nothing that is not one', () => {
    const { config } = ok(loadText('router_settings: {cooldown_time: "1.", allowed_fails: "1_0", timeout: "1e+2"}\n'));
    assert.deepEqual([config.router.cooldownMs, config.router.allowedFails, config.router.timeoutMs], [1000, 10, 100_000]);
    assert.deepEqual(problems(loadText('router_settings: {cooldown_time: "+"}\n')), ['router_settings.cooldown_time: expected a number, got string "+"']);
  });
});
