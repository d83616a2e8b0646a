import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { type APIError } from 'openai';
import { FIXTURE_AWS_KEY_ID, FIXTURE_AZURE_KEY, FIXTURE_MASTER_KEY, FIXTURE_OPENAI_KEY, fixtureEnv, fixturePath } from '../support/config-fixtures.js';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.js';
import { runCli, startGateway, stopAllGateways, writeTempConfig, type GatewayProcess } from '../support/gateway.js';

/**
 * Real-world-style configs (test/fixtures/configs) as users meet them: `--validate_config` and a
 * running gateway for each. Values are checked in depth by test/unit/config-fixtures.test.ts; here
 * the proof is end to end: what the fake upstream receives and what the clients get back.
 */

interface Fixture {
  file: string;
  summary: string;
  /** The start of each warning line, in order. */
  warnings: string[];
  key?: string;
  models: string[];
}

const FIXTURES: Fixture[] = [
  { file: 'hand-edited.yaml', summary: '4 deployments in 3 model groups', warnings: ['duplicate keys', 'deployments without a price'], key: FIXTURE_MASTER_KEY, models: ['gpt-4o', 'cheap', 'text-embedding-3-small'] },
  { file: 'helm-rendered.yaml', summary: '3 deployments in 3 model groups', warnings: [], key: FIXTURE_MASTER_KEY, models: ['gpt-4o', 'gpt-4o-mini', 'embeddings'] },
  { file: 'anchor-heavy.yaml', summary: '4 deployments in 3 model groups', warnings: ['top-level sections'], models: ['fast', 'precise', 'mocked'] },
  { file: 'credential-based.yaml', summary: '4 deployments in 4 model groups', warnings: ['deployments without a price'], models: ['gpt-4o', 'gpt-4o-own-org', 'azure-gpt', 'no-credential'] },
  { file: 'wildcard-based.yaml', summary: '7 deployments in 7 model groups', warnings: ['deployments without a price'], models: ['gpt-4o'] },
  { file: 'include-based/config.yaml', summary: '4 deployments in 3 model groups', warnings: ['settings set in more than one file', 'deployments without a price'], key: FIXTURE_MASTER_KEY, models: ['house-mock', 'gpt-4o', 'gpt-4o-mini'] },
  {
    file: 'enterprise.yaml', summary: '6 deployments in 6 model groups', key: FIXTURE_MASTER_KEY,
    warnings: ['top-level sections', 'keys in the wrong section', 'unknown config keys', 'general_settings.database_url: environment variable', 'model_info.mode values', 'deployments without a price'],
    models: ['gpt-4o', 'claude-sonnet', 'gemini-pro', 'gemini-flash', 'rerank-english', 'dall-e-3'],
  },
  { file: 'bedrock-based.yaml', summary: '5 deployments in 5 model groups', warnings: ['deployments without a price'], models: ['claude-3-5-sonnet', 'claude-3-7-sonnet', 'llama3-70b', 'titan-embed', 'cohere-embed'] },
  { file: 'empty-model-list.yaml', summary: '0 deployments in 0 model groups', warnings: [], key: FIXTURE_MASTER_KEY, models: [] },
  { file: 'docs-quickstart.yaml', summary: '3 deployments in 2 model groups', warnings: ['unknown config keys', 'deployments without a price'], key: 'sk-1234', models: ['gpt-3.5-turbo', 'vllm-models'] },
  { file: 'misplaced-keys.yaml', summary: '1 deployment in 1 model group', warnings: ['keys in the wrong section', 'unknown config keys'], key: FIXTURE_MASTER_KEY, models: ['support-bot'] },
  { file: 'null-heavy.yaml', summary: '1 deployment in 1 model group', warnings: [], models: ['generated'] },
  { file: 'local-and-cohere.yaml', summary: '5 deployments in 5 model groups', warnings: ['unknown config keys', 'deployments without a price'], models: ['llama3', 'llama3-prompt', 'nomic-embed', 'command-r-plus', 'cohere-embed'] },
];

let upstream: FakeUpstream;
const gateways = new Map<string, GatewayProcess>();

before(async () => {
  upstream = await startFakeUpstream();
  // Started a few at a time: one gateway per fixture, each proving the file starts a server.
  for (let i = 0; i < FIXTURES.length; i += 4) {
    await Promise.all(FIXTURES.slice(i, i + 4).map(async (fixture) => {
      gateways.set(fixture.file, await startGateway({ configFile: fixturePath(fixture.file), env: fixtureEnv(upstream.url) }));
    }));
  }
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

function client(fixture: string): OpenAI {
  const spec = FIXTURES.find((f) => f.file === fixture)!;
  return new OpenAI({ baseURL: `${gateways.get(fixture)!.url}/v1`, apiKey: spec.key ?? 'no-key-needed', maxRetries: 0 });
}

async function ask(fixture: string, model: string, content = 'hi'): Promise<{ text: string | null | undefined; seen: RecordedRequest | undefined }> {
  const before = upstream.requests.length;
  const answer = await client(fixture).chat.completions.create({ model, messages: [{ role: 'user', content }] });
  return { text: answer.choices[0]?.message.content, seen: upstream.requests.slice(before).at(-1) };
}

describe('every fixture', () => {
  test('--validate_config: exit 0, each kind of warning once, the summary line', async () => {
    const runs = await Promise.all(FIXTURES.map((f) => runCli(['--validate_config', '--config', fixturePath(f.file)], fixtureEnv())));
    FIXTURES.forEach((fixture, i) => {
      const { code, stdout } = runs[i]!;
      assert.equal(code, 0, `${fixture.file}:\n${stdout}`);
      const warnings = stdout.split('\n').filter((line) => line.startsWith('warning: ')).map((line) => line.slice('warning: '.length));
      assert.equal(warnings.length, fixture.warnings.length, `${fixture.file}:\n${stdout}`);
      fixture.warnings.forEach((start, j) => assert.ok(warnings[j]!.startsWith(start), `${fixture.file}: warning ${j} should start "${start}":\n${stdout}`));
      const lines = stdout.trimEnd().split('\n');
      assert.deepEqual(lines.slice(-2), [fixture.summary, 'config is valid'], fixture.file);
    });
  });

  test('the running gateway logs the same warnings and lists the exact model groups', async () => {
    for (const fixture of FIXTURES) {
      const gateway = gateways.get(fixture.file)!;
      const logged = gateway.logs.filter((l) => l.level === 'warn').map((l) => String(l.msg));
      for (const start of fixture.warnings) assert.ok(logged.some((msg) => msg.startsWith(start)), `${fixture.file}: no "${start}" warning in\n${logged.join('\n')}`);
      const models = await client(fixture.file).models.list();
      assert.deepEqual(models.data.map((m) => m.id), fixture.models, fixture.file);
    }
  });
});

describe('resolved values reach the upstream', () => {
  test('hand-edited: sampling defaults sent; the unquoted Azure api_version arrives as the date string', async () => {
    const openai = await ask('hand-edited.yaml', 'cheap');
    assert.equal(openai.text, 'cheap answer');
    let azure: RecordedRequest | undefined;
    let direct: RecordedRequest | undefined;
    for (let i = 0; i < 40 && (azure === undefined || direct === undefined); i++) { // the group has two deployments, drawn at random
      const { seen } = await ask('hand-edited.yaml', 'gpt-4o');
      if (seen?.path.startsWith('/openai/deployments/')) azure = seen;
      else direct = seen;
    }
    assert.equal(azure?.path, '/openai/deployments/gpt-4o-eu/chat/completions');
    assert.equal(azure?.query, '?api-version=2024-06-01');
    assert.equal(azure?.headers['api-key'], FIXTURE_AZURE_KEY);
    assert.equal(direct?.model, 'gpt-4o-2024-08-06');
    assert.deepEqual([direct?.body?.temperature, direct?.body?.max_tokens, direct?.body?.stop], [0.2, 1024, ['\n\nHuman:', '###']]);
    assert.equal(direct?.headers.authorization, `Bearer ${FIXTURE_OPENAI_KEY}`);
  });

  test('helm-rendered and anchor-heavy: keys from the environment, merged params', async () => {
    const helm = await ask('helm-rendered.yaml', 'gpt-4o');
    assert.deepEqual([helm.seen?.model, helm.seen?.headers.authorization], ['gpt-4o', `Bearer ${FIXTURE_OPENAI_KEY}`]);
    const embedding = await client('helm-rendered.yaml').embeddings.create({ model: 'embeddings', input: 'x' });
    assert.equal(embedding.model, 'text-embedding-3-large');
    const fast = await ask('anchor-heavy.yaml', 'fast');
    assert.deepEqual([fast.seen?.model, fast.seen?.body?.temperature], ['gpt-4o-mini', 0.7]);
    assert.equal((await ask('anchor-heavy.yaml', 'mocked')).text, 'anchored mock');
  });

  test('credential-based: the credential supplies key and base; inline organization and api_version win', async () => {
    const own = await ask('credential-based.yaml', 'gpt-4o-own-org');
    assert.deepEqual([own.seen?.headers.authorization, own.seen?.headers['openai-organization']], [`Bearer ${FIXTURE_OPENAI_KEY}`, 'org-inline']);
    const shared = await ask('credential-based.yaml', 'gpt-4o');
    assert.equal(shared.seen?.headers['openai-organization'], 'org-from-credential');
    const azure = await ask('credential-based.yaml', 'azure-gpt');
    assert.deepEqual([azure.seen?.path, azure.seen?.query, azure.seen?.headers['api-key']], ['/openai/deployments/gpt-4o-eu/chat/completions', '?api-version=2025-01-01-preview', FIXTURE_AZURE_KEY]);
  });

  test('include-based, docs quick start, misplaced keys, null-heavy: each answers', async () => {
    assert.equal((await ask('include-based/config.yaml', 'gpt-4o-mini')).text, 'from the nested include');
    assert.equal((await ask('include-based/config.yaml', 'house-mock')).text, 'from the main file');
    assert.equal((await ask('docs-quickstart.yaml', 'vllm-models')).seen?.model, 'facebook/opt-125m');
    assert.equal((await ask('misplaced-keys.yaml', 'support-bot')).text, 'misplaced but loading');
    assert.equal((await ask('null-heavy.yaml', 'generated')).text, 'generated answer');
  });

  test('bedrock-based: Converse at the endpoint the deployment names, signed with the environment\'s keys for its region', async () => {
    const before = upstream.requests.length;
    await assert.rejects(ask('bedrock-based.yaml', 'llama3-70b'), (error: APIError) => error.status === 404); // the fake OpenAI upstream has no Bedrock route
    const seen = upstream.requests.slice(before).at(-1);
    assert.equal(seen?.path, '/model/meta.llama3-1-70b-instruct-v1%3A0/converse');
    assert.match(String(seen?.headers.authorization), new RegExp(`^AWS4-HMAC-SHA256 Credential=${FIXTURE_AWS_KEY_ID}/\\d{8}/us-west-2/bedrock/aws4_request, `));
  });

  test('enterprise and empty model_list: bedrock signed to the endpoint the environment names; unknown models 404', async () => {
    assert.equal((await ask('enterprise.yaml', 'gpt-4o')).text, 'enterprise answer');
    const before = upstream.requests.length;
    // The fake OpenAI upstream has no Bedrock route (404): what matters is where the call went and how it was signed.
    await assert.rejects(ask('enterprise.yaml', 'claude-sonnet'), (error: APIError) => error.status === 404);
    const bedrock = upstream.requests.slice(before).at(-1);
    assert.equal(bedrock?.path, '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke');
    assert.match(String(bedrock?.headers.authorization), new RegExp(`^AWS4-HMAC-SHA256 Credential=${FIXTURE_AWS_KEY_ID}/\\d{8}/us-east-1/bedrock/aws4_request, `));
    await assert.rejects(ask('empty-model-list.yaml', 'gpt-4o'), (error: APIError) => error.status === 404);
  });
});

describe('wildcard model names', () => {
  const cases: Array<[requested: string, upstreamModel: string]> = [
    ['gpt-4o', 'gpt-4o-pinned'], // the exact name beats openai/*, gpt-* and *
    ['openai/gpt-4.1', 'gpt-4.1'],
    ['team-a/llama-3-70b', 'llama-3-70b'],
    ['gpt-5-mini', 'gpt-5-mini'],
    ['mistral-large', 'mistral-large'], // the catch-all
  ];

  test('the upstream receives what * matched; exact names beat patterns', async () => {
    for (const [requested, upstreamModel] of cases) {
      const { text, seen } = await ask('wildcard-based.yaml', requested, `to ${requested}`);
      assert.equal(seen?.model, upstreamModel, requested);
      assert.equal(text, `fake reply to: to ${requested}`);
    }
    const catchAll = await ask('wildcard-based.yaml', 'some-other-model');
    assert.equal(catchAll.seen?.headers.authorization, `Bearer ${FIXTURE_OPENAI_KEY}`, 'the * deployment has its own key');
  });

  test('streams too; a pattern reaches Anthropic with the substituted model; Vertex without credentials is a clear 401; patterns listed only on request', async () => {
    const stream = await client('wildcard-based.yaml').chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 's' }], stream: true });
    const models = new Set<string>();
    for await (const chunk of stream) models.add(chunk.model);
    assert.deepEqual([...models], ['gpt-4o-mini']);
    const claude = await ask('wildcard-based.yaml', 'claude-3-haiku', 'to claude');
    assert.equal(claude.seen?.path, '/v1/messages');
    assert.equal(claude.seen?.body?.model, 'claude-3-haiku');
    assert.ok(claude.text);
    // vertex_ai/gemini-* names no credentials: Application Default Credentials, of which the test machine has none.
    await assert.rejects(ask('wildcard-based.yaml', 'gemini-1.5-pro'), (error: APIError) => error.status === 401 && /vertex_ai.*no Google credentials/.test(error.message));
    const response = await fetch(`${gateways.get('wildcard-based.yaml')!.url}/v1/models?return_wildcard_routes=true`);
    const listed = (await response.json()) as { data: Array<{ id: string }> };
    assert.deepEqual(listed.data.map((m) => m.id), ['gpt-4o', 'openai/*', 'team-a/*', 'gpt-*', 'claude-*', 'gemini-*', '*']);
  });
});

describe('fatal config errors exit 1 naming the key path', () => {
  // Each kind alone is refused by the loader (test/unit/config-compat.test.ts); here all of them
  // at once, through both ways in: every one is reported, with its key path, and the exit is 1.
  const BAD = [
    'include: [no-such-fragment.yaml]',
    'model_list:',
    '  - {model_name: a, litellm_params: {model: openai/a, api_key: os.environ/SWITCHYARD_UNSET_VAR}}',
    '  - {model_name: b, litellm_params: {api_key: k}}',
    '  - {model_name: c, litellm_params: {model: openai/c, litellm_credential_name: nope}}',
    'general_settings: {health_check_interval: "5m"}',
  ].join('\n');
  const EXPECTED = [
    'include[0]: included file not found: ',
    'model_list[0].litellm_params.api_key: environment variable SWITCHYARD_UNSET_VAR is not set',
    'model_list[1].litellm_params.model: is required',
    'model_list[2].litellm_params.litellm_credential_name: no credential named "nope"',
    'general_settings.health_check_interval: expected a number',
  ];

  test('--validate_config prints each problem, then the summary, and exits 1', async () => {
    const { code, stdout } = await runCli(['--validate_config', '--config', writeTempConfig(BAD)]);
    assert.equal(code, 1, stdout);
    for (const expected of EXPECTED) assert.ok(stdout.includes(`error: ${expected}`), `missing "${expected}" in\n${stdout}`);
    assert.match(stdout, /\n3 deployments in 3 model groups\nconfig is invalid: 5 problems\n$/);
  });

  test('starting with it exits 1 with the same messages', async () => {
    const gateway = await startGateway({ config: BAD, waitReady: false });
    assert.equal((await gateway.exited).code, 1);
    const fatal = gateway.logs.find((line) => line.msg === 'invalid config; not starting');
    const logged = (fatal?.problems ?? []) as string[];
    for (const expected of EXPECTED) assert.ok(logged.some((p) => p.startsWith(expected)), `missing "${expected}" in\n${gateway.output()}`);
  });
});
