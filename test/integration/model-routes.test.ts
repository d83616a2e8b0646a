import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { AzureOpenAI } from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * LiteLLM's read routes about models (`models.retrieve`, `/model/info`, `/model_group/info`), which
 * must never show a secret, and the Azure-style paths that name the model group instead of the body.
 */

const MASTER_KEY = 'sk-model-routes-master-1';
/** Secrets placed everywhere a config can hold one; none may appear in any answer. */
const SECRETS = ['sk-inline-secret-aaaa1111', 'sk-from-env-secret-bbbb2222', 'header-secret-cccc3333', 'pw-in-url-dddd4444', 'query-secret-eeee5555'];

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let openai: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: [
        {
          model_name: 'gpt', litellm_params: { model: 'openai/gpt-up', api_base: `${upstream.url}/v1`, api_key: SECRETS[0], rpm: 100, extra_headers: { 'x-team-token': SECRETS[2] }, input_cost_per_token: 0.000002 },
          model_info: { id: 'gpt-one', max_input_tokens: 128000, max_output_tokens: 16384, output_cost_per_token: 0.000008, supports_vision: true, note_with_secret: SECRETS[2] },
        },
        {
          model_name: 'gpt', litellm_params: { model: 'openai/gpt-up', api_base: `http://someone:${SECRETS[3]}@127.0.0.1:${upstream.port}/v1?key=${SECRETS[4]}`, api_key: 'os.environ/MODEL_ROUTES_KEY', rpm: 50 },
          model_info: { id: 'gpt-two', max_input_tokens: 64000, supports_vision: false },
        },
        { model_name: 'openai/gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream.url}/v1`, api_key: SECRETS[0] } },
        { model_name: 'embedder', litellm_params: { model: 'openai/embed-up', api_base: `${upstream.url}/v1`, api_key: SECRETS[0] }, model_info: { mode: 'embedding' } },
        { model_name: 'instruct', litellm_params: { model: 'openai/instruct-up', api_base: `${upstream.url}/v1`, api_key: SECRETS[0] }, model_info: { mode: 'completion' } },
      ],
      general_settings: { master_key: MASTER_KEY },
    },
    env: { MODEL_ROUTES_KEY: SECRETS[1] },
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

async function getText(path: string, key = MASTER_KEY): Promise<{ status: number; text: string }> {
  const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, text: await response.text() };
}

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} shows a secret (${secret.slice(0, 12)}…)`);
}

describe('models.retrieve', () => {
  test('a model group, one whose name has a slash, and an unknown one (404 model_not_found)', async () => {
    const model = await openai.models.retrieve('gpt');
    assert.deepEqual({ id: model.id, object: model.object, owned_by: model.owned_by }, { id: 'gpt', object: 'model', owned_by: 'switchyard' });
    assert.equal((await openai.models.retrieve('openai/gpt-4o')).id, 'openai/gpt-4o');
    await assert.rejects(openai.models.retrieve('no-such-model'), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal((error.error as { code?: string }).code, 'model_not_found');
      return true;
    });
  });

  test('behind the key, like /v1/models', async () => {
    assert.equal((await getText('/v1/models/gpt', 'wrong-key')).status, 401);
  });
});

describe('/model/info and /model_group/info', () => {
  test('/model/info and /v1/model/info: LiteLLM\'s shape, one entry per deployment, no secret anywhere', async () => {
    for (const path of ['/model/info', '/v1/model/info']) {
      const { status, text } = await getText(path);
      assert.equal(status, 200);
      assertNoSecret(text, path);
      const { data } = JSON.parse(text) as { data: Array<{ model_name: string; litellm_params: Record<string, unknown>; model_info: Record<string, unknown> }> };
      assert.equal(data.length, 5);
      const [one, two] = data;
      assert.equal(one!.model_name, 'gpt');
      assert.deepEqual(one!.litellm_params, { model: 'openai/gpt-up', custom_llm_provider: 'openai', api_base: `${upstream.url}/v1`, rpm: 100 });
      assert.deepEqual(one!.model_info, {
        id: 'gpt-one', db_model: false, mode: 'chat', base_model: null, litellm_provider: 'openai',
        max_tokens: null, max_input_tokens: 128000, max_output_tokens: 16384, input_cost_per_token: 0.000002, output_cost_per_token: 0.000008,
        supports_vision: true,
      });
      assert.equal(two!.litellm_params.api_base, `http://127.0.0.1:${upstream.port}/v1`, 'user info and query removed');
      assert.equal(two!.model_info.input_cost_per_token, null, 'an unknown price is null, not 0');
      for (const entry of data) assert.equal('api_key' in entry.litellm_params || 'extra_headers' in entry.litellm_params, false);
    }
  });

  test('/model/info?litellm_model_id= picks one deployment', async () => {
    const { text } = await getText('/model/info?litellm_model_id=gpt-two');
    assert.deepEqual((JSON.parse(text) as { data: Array<{ model_info: { id: string } }> }).data.map((d) => d.model_info.id), ['gpt-two']);
  });

  test('/model_group/info: one entry per group, limits and prices combined safely', async () => {
    const { status, text } = await getText('/model_group/info');
    assert.equal(status, 200);
    assertNoSecret(text, '/model_group/info');
    const { data } = JSON.parse(text) as { data: Array<Record<string, unknown>> };
    assert.deepEqual(data.map((g) => g.model_group), ['gpt', 'openai/gpt-4o', 'embedder', 'instruct']);
    assert.deepEqual(data[0], {
      model_group: 'gpt', providers: ['openai'], mode: 'chat', max_input_tokens: 64000, max_output_tokens: 16384,
      input_cost_per_token: 0.000002, output_cost_per_token: 0.000008, tpm: null, rpm: 150, supports_vision: false,
    });
    assert.equal(data[2]!.mode, 'embedding');
  });
});

describe('Azure-style paths: the model group from the path', () => {
  const azureFetch = (path: string, body: object) => fetch(`${gateway.url}/openai/deployments/${path}?api-version=2024-10-21`, {
    method: 'POST', headers: { 'api-key': MASTER_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  test('chat, completions and embeddings without `model` in the body', async () => {
    // (Single-deployment groups: one of `gpt`'s two points at a URL made only to hold secrets.)
    const chat = await azureFetch('instruct/chat/completions', { messages: [{ role: 'user', content: 'hello azure' }] });
    assert.equal(chat.status, 200, await chat.clone().text());
    assert.equal(((await chat.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content, 'fake reply to: hello azure');
    assert.equal(upstream.requests.at(-1)!.model, 'instruct-up');
    const completion = await azureFetch('instruct/completions', { prompt: 'once upon' });
    assert.equal(completion.status, 200);
    assert.equal(upstream.requests.at(-1)!.model, 'instruct-up');
    const embedding = await azureFetch('embedder/embeddings', { input: ['a', 'b'] });
    assert.equal(embedding.status, 200);
    assert.equal(((await embedding.json()) as { data: unknown[] }).data.length, 2);
  });

  test('a group name with a slash, percent-encoded in the path; an unknown one is a 404', async () => {
    const chat = await azureFetch(`${encodeURIComponent('openai/gpt-4o')}/chat/completions`, { messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(chat.status, 200);
    assert.equal((await azureFetch('nope/chat/completions', { messages: [{ role: 'user', content: 'hi' }] })).status, 404);
  });

  test('the AzureOpenAI client of the openai SDK', async () => {
    const azure = new AzureOpenAI({ endpoint: gateway.url, apiKey: MASTER_KEY, apiVersion: '2024-10-21', deployment: 'instruct', maxRetries: 0 });
    const answer = await azure.chat.completions.create({ model: 'instruct', messages: [{ role: 'user', content: 'via azure sdk' }] });
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: via azure sdk');
  });
});
