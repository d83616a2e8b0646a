import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfigText, type Config } from '../../src/config/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeploymentClients } from '../../src/providers/index.js';
import { readVertexCredentials } from '../../src/providers/vertex/vertex-credentials.js';

/**
 * `vertex_ai/` and `gemini/` sections as LiteLLM users write them: what loads, where each client
 * points, and a broken service account as a config problem that names the key and never quotes
 * the file (a parse error would show a slice of the private key).
 */

const SECRET_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEsecretsecretsecret\n-----END PRIVATE KEY-----\n';

function load(yaml: string, env: NodeJS.ProcessEnv = {}): Config {
  const result = loadConfigText(yaml, null, { env });
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems));
  assert.deepEqual(result.value.warnings, []);
  return result.value.config;
}

describe('Google sections', () => {
  test('vertex_project, vertex_location and vertex_credentials (JSON text, a mapping) load; clients point where they say', () => {
    const account = { type: 'service_account', project_id: 'from-key', client_email: 'a@b.iam.gserviceaccount.com', private_key: SECRET_KEY, token_uri: 'https://oauth2.internal.example/token' };
    const config = load(`
model_list:
  - model_name: g
    litellm_params: { model: vertex_ai/gemini-1.5-pro, vertex_project: my-project, vertex_location: europe-west4, vertex_credentials: os.environ/VERTEX_SA }
  - model_name: c
    litellm_params:
      model: vertex_ai/claude-sonnet-4-5
      vertex_location: global
      vertex_credentials: ${JSON.stringify(account)}
  - model_name: ai-studio
    litellm_params: { model: gemini/gemini-2.0-flash, api_key: os.environ/GEMINI_API_KEY }
`, { VERTEX_SA: JSON.stringify(account), GEMINI_API_KEY: 'AIzaSyFakeFakeFakeFakeFakeFakeFakeFake' });
    const { clients, problems } = buildDeploymentClients(config);
    assert.deepEqual(problems, []);
    assert.deepEqual(clients.map((c) => c.apiBase), ['https://europe-west4-aiplatform.googleapis.com', 'https://aiplatform.googleapis.com', 'https://generativelanguage.googleapis.com']);
    assert.deepEqual(clients.map((c) => c.constructor.name), ['GeminiClient', 'VertexClaudeClient', 'GeminiClient']);
  });

  test('a key file that cannot be read, or JSON text that does not parse, is a problem naming the key, without quoting it', () => {
    const config = load(`
model_list:
  - model_name: missing
    litellm_params: { model: vertex_ai/gemini-1.5-pro, vertex_project: p, vertex_credentials: /nonexistent/sa.json }
  - model_name: broken
    litellm_params: { model: vertex_ai/gemini-1.5-pro, vertex_project: p, vertex_credentials: os.environ/BROKEN }
`, { BROKEN: `{"type": "service_account", "private_key": "${SECRET_KEY.replaceAll('\n', '\\n')}",` });
    const { problems } = buildDeploymentClients(config);
    assert.deepEqual(problems.map((p) => p.path), ['model_list[0].litellm_params', 'model_list[1].litellm_params']);
    assert.match(problems[0]!.message, /vertex_credentials: cannot read the service account file \/nonexistent\/sa\.json: ENOENT/);
    assert.equal(problems[1]!.message, 'vertex_credentials: the text is not valid JSON');
    assert.ok(problems.every((p) => !p.message.includes('secret')));
  });

  test('without vertex_credentials, GOOGLE_APPLICATION_CREDENTIALS is read the same way (its token_uri kept); without either, ADC', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchyard-gac-')), 'sa.json');
    writeFileSync(file, JSON.stringify({ type: 'service_account', client_email: 'x@y.iam.gserviceaccount.com', private_key: SECRET_KEY, token_uri: 'http://127.0.0.1:9/token', project_id: 'p1' }));
    const found = readVertexCredentials(undefined, { GOOGLE_APPLICATION_CREDENTIALS: file });
    assert.ok(found.kind === 'service_account');
    assert.deepEqual([found.account.token_uri, found.account.project_id], ['http://127.0.0.1:9/token', 'p1']);
    const withoutTokenUri = readVertexCredentials({ type: 'service_account', client_email: 'x', private_key: 'k' }, {});
    assert.ok(withoutTokenUri.kind === 'service_account' && withoutTokenUri.account.token_uri === 'https://oauth2.googleapis.com/token');
    assert.deepEqual(readVertexCredentials(undefined, {}), { kind: 'default' });
    assert.equal(readVertexCredentials({ type: 'authorized_user', refresh_token: 'r' }, {}).kind, 'other');
  });
});
