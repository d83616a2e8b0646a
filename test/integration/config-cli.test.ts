import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, describe, test } from 'node:test';
import { runCli, startGateway, stopAllGateways, writeTempConfig } from '../support/gateway.js';
import { freePort } from '../support/ports.js';

/** The CLI as users meet it: --validate_config, clear start-up errors, env and flag precedence. */

after(stopAllGateways);

const BROKEN = `
model_list:
  - model_name: a
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/SWITCHYARD_TEST_MISSING_KEY
      rpm: lots
  - model_name: b
    litellm_params:
      api_base: http://127.0.0.1:1/v1
general_settings:
  health_check_interval: soon
router_settings:
  routing_strategy: fastest-possible
`;

describe('--validate_config', () => {
  test('reports every problem at once with its key path, exit 1', async () => {
    const { code, stdout } = await runCli(['--validate_config', '--config', writeTempConfig(BROKEN)]);
    assert.equal(code, 1);
    for (const expected of [
      'model_list[0].litellm_params.api_key: environment variable SWITCHYARD_TEST_MISSING_KEY is not set',
      'model_list[0].litellm_params.rpm: expected a number',
      'model_list[1].litellm_params.model: is required',
      'general_settings.health_check_interval: expected a number',
      'router_settings.routing_strategy: expected one of',
    ]) assert.ok(stdout.includes(expected), `missing "${expected}" in:\n${stdout}`);
    assert.match(stdout, /\n2 deployments in 2 model groups\nconfig is invalid: 5 problems\n$/);
  });

  test('a valid config exits 0 with a summary; unknown keys are one warning per kind naming them all', async () => {
    const path = writeTempConfig({
      model_list: [
        { model_name: 'a', litellm_params: { model: 'openai/x', mock_response: 'hi', fancy_param: 1 } },
        { model_name: 'a', litellm_params: { model: 'openai/y', mock_response: 'hi' } },
        { model_name: 'b', litellm_params: { model: 'openai/z', mock_response: 'hi' } },
      ],
      general_settings: { database_url: 'postgres://nowhere', health_check_interval: '60', alert_to_webhook_url: 'https://x' },
      something_else: true,
    });
    const { code, stdout } = await runCli(['--validate-config', '--config', path]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /3 deployments in 2 model groups/);
    const warnings = stdout.split('\n').filter((l) => l.startsWith('warning: '));
    assert.deepEqual(warnings, [
      'warning: top-level sections Switchyard does not implement, ignored: something_else',
      'warning: unknown config keys, ignored: model_list[0].litellm_params.fancy_param, general_settings.alert_to_webhook_url',
    ]);
  });

  test('a missing or unparsable file is an error naming it', async () => {
    const missing = await runCli(['--validate_config', '--config', '/nonexistent/switchyard.yaml']);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /\/nonexistent\/switchyard.yaml: cannot read config: file not found/);
    const bad = await runCli(['--validate_config', '--config', writeTempConfig('model_list: [unclosed\n')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /YAML syntax/);
  });
});

describe('starting the gateway', () => {
  test('an unknown key is warned about, not fatal; environment_variables feed os.environ/', async () => {
    const gateway = await startGateway({
      config: {
        environment_variables: { SWITCHYARD_TEST_REPLY: 'from environment_variables' },
        model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', mock_response: 'os.environ/SWITCHYARD_TEST_REPLY', unknown_thing: 1 } }],
      },
    });
    const warning = await gateway.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('unknown config keys'));
    assert.match(String(warning.msg), /model_list\[0\]\.litellm_params\.unknown_thing/);
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    });
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    assert.equal(body.choices[0]?.message.content, 'from environment_variables');
    await gateway.stop();
  });

  test('an invalid config does not start: exit 1 with every problem logged', async () => {
    const gateway = await startGateway({ config: BROKEN, waitReady: false });
    const exit = await gateway.exited;
    assert.equal(exit.code, 1);
    assert.match(gateway.output(), /SWITCHYARD_TEST_MISSING_KEY/);
    assert.match(gateway.output(), /router_settings\.routing_strategy/);
  });

  test('a port already in use is a clear error and exit 1, never a silent move', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const gateway = await startGateway({ config: { model_list: [] }, port, waitReady: false });
      const exit = await gateway.exited;
      assert.equal(exit.code, 1);
      assert.match(gateway.output(), new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('LITELLM_MASTER_KEY beats general_settings.master_key; PORT env is honoured, the flag beats it', async () => {
    const gateway = await startGateway({
      config: { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', mock_response: 'ok' } }], general_settings: { master_key: 'sk-from-file' } },
      env: { LITELLM_MASTER_KEY: 'sk-from-env', PORT: '1' },
    });
    const ask = (key: string) => fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });
    assert.equal(await ask('sk-from-env'), 200);
    assert.equal(await ask('sk-from-file'), 401);
    await gateway.stop();
  });
});

describe('flags', () => {
  test('--help and --version exit 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--max_requests_before_restart_jitter/);
    assert.match(help.stdout, /MAX_REQUESTS_BEFORE_RESTART_JITTER/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^switchyard \d+\.\d+\.\d+/);
  });

  test('bad values name the flag or the variable; unknown flags are refused', async () => {
    const flag = await runCli(['--num-workers', 'two', '--validate_config']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /--num_workers: expected a whole number/);
    const env = await runCli(['--validate_config'], { KEEPALIVE_TIMEOUT: '-5' });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /KEEPALIVE_TIMEOUT: expected a positive number/);
    const unknown = await runCli(['--no-such-flag']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no.such.flag/);
  });
});
