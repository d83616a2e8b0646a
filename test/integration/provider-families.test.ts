import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeCompatible, type FakeCompatible } from '../support/fake-compatible.js';
import type { SeenRequest } from '../support/fake-provider-server.js';
import { runCli, startGateway, stopAllGateways, writeTempConfig, type GatewayProcess } from '../support/gateway.js';

/**
 * OpenAI-compatible families as data (src/providers/openai-compatible/families.ts): each family's
 * key variable reaches the upstream as the bearer token, and a family's renames, respellings,
 * refused fields, model prefix and headers reach it too, against a fake that refuses what the
 * real API refuses (Mistral's 422 extra_forbidden).
 */

/** family → the environment variable LiteLLM reads its key from. */
const KEY_ENV: Record<string, string> = {
  groq: 'GROQ_API_KEY', together_ai: 'TOGETHER_API_KEY', deepseek: 'DEEPSEEK_API_KEY', mistral: 'MISTRAL_API_KEY', xai: 'XAI_API_KEY',
  openrouter: 'OPENROUTER_API_KEY', fireworks_ai: 'FIREWORKS_API_KEY', perplexity: 'PERPLEXITYAI_API_KEY', cerebras: 'CEREBRAS_API_KEY',
  deepinfra: 'DEEPINFRA_API_KEY', hosted_vllm: 'HOSTED_VLLM_API_KEY', vllm: 'HOSTED_VLLM_API_KEY', lm_studio: 'LM_STUDIO_API_KEY',
};
const keyOf = (family: string) => `key-for-${family}-0042`;

const env: Record<string, string> = {};
let fake: FakeCompatible;
let gateway: GatewayProcess;
let openai: OpenAI;

before(async () => {
  fake = await startFakeCompatible();
  Object.assign(env, { OR_SITE_URL: 'https://switchyard.example', OR_APP_NAME: 'switchyard-tests', DEEPINFRA_API_BASE: `${fake.url}/deepinfra/v1/openai` });
  // vllm/ and hosted_vllm/ share HOSTED_VLLM_API_KEY: the first family's key is the one set.
  for (const family of Object.keys(KEY_ENV)) env[KEY_ENV[family]!] ??= keyOf(family);
  gateway = await startGateway({
    config: {
      model_list: Object.keys(KEY_ENV).map((family) => ({
        model_name: family,
        // deepinfra takes its base from DEEPINFRA_API_BASE; the others are pointed at the fake.
        litellm_params: family === 'deepinfra' ? { model: `${family}/m-${family}` } : { model: `${family}/m-${family}`, api_base: `${fake.url}/${family}/v1` },
      })),
      router_settings: { num_retries: 0 },
    },
    env,
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'no-key', maxRetries: 0 });
  // Mistral as it answers: fields it does not know are refused, and tool_choice is its own word.
  fake.behave('m-mistral', { refuse: ['max_completion_tokens', 'seed', 'user', 'logprobs'], allow: { tool_choice: ['auto', 'none', 'any'] } });
  fake.behave('accounts/fireworks/models/m-fireworks_ai', { refuse: ['max_completion_tokens'], allow: { tool_choice: ['auto', 'none', 'any'] } });
  fake.behave('m-groq', { refuse: ['logprobs', 'logit_bias', 'top_logprobs'] });
  fake.behave('m-xai', { refuse: ['max_completion_tokens'] });
});

after(async () => {
  await stopAllGateways();
  await fake.close();
});

function last(model: string): SeenRequest {
  const found = fake.requests.filter((r) => r.model === model).at(-1);
  assert.ok(found, `the fake received a request for ${model}`);
  return found;
}

const TOOL = { type: 'function' as const, function: { name: 'f', parameters: { type: 'object', properties: {} } } };

describe('families', () => {
  test('every family answers, with the key from the environment variable LiteLLM reads', async () => {
    for (const family of Object.keys(KEY_ENV)) {
      const answer = await openai.chat.completions.create({ model: family, messages: [{ role: 'user', content: `hi ${family}` }] });
      assert.equal(answer.choices[0]?.message.content, `fake reply to: hi ${family}`, family);
      const model = family === 'fireworks_ai' ? 'accounts/fireworks/models/m-fireworks_ai' : `m-${family}`;
      const seen = last(model);
      assert.equal(seen.headers.authorization, `Bearer ${env[KEY_ENV[family]!]}`, family);
      assert.equal(seen.path, family === 'deepinfra' ? '/deepinfra/v1/openai/chat/completions' : `/${family}/v1/chat/completions`, family);
    }
  });

  test('mistral: max_completion_tokens → max_tokens, seed → random_seed, tool_choice "required" → "any", user and logprobs left out (JSON and stream)', async () => {
    const request = {
      model: 'mistral', messages: [{ role: 'user' as const, content: 'm' }], max_completion_tokens: 30, seed: 5, user: 'u', logprobs: true,
      tools: [TOOL], tool_choice: 'required' as const,
    };
    const answer = await openai.chat.completions.create(request);
    assert.equal(answer.choices[0]?.message.content, 'fake reply to: m');
    const body = last('m-mistral').body!;
    assert.deepEqual([body.max_tokens, body.random_seed, body.tool_choice], [30, 5, 'any']);
    for (const gone of ['max_completion_tokens', 'seed', 'user', 'logprobs']) assert.ok(!Object.hasOwn(body, gone), gone);
    let text = '';
    for await (const chunk of await openai.chat.completions.create({ ...request, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'fake reply to: m');
    assert.equal(last('m-mistral').body?.random_seed, 5);
  });

  test('a request that sets both names keeps the API\'s own: max_tokens wins over max_completion_tokens', async () => {
    await openai.chat.completions.create({ model: 'xai', messages: [{ role: 'user', content: 'x' }], max_tokens: 11, max_completion_tokens: 99 });
    assert.equal(last('m-xai').body?.max_tokens, 11);
  });

  test('fireworks_ai: the accounts/fireworks/models/ prefix, max_tokens and "any"', async () => {
    await openai.chat.completions.create({ model: 'fireworks_ai', messages: [{ role: 'user', content: 'f' }], max_completion_tokens: 12, tools: [TOOL], tool_choice: 'required' });
    const body = last('accounts/fireworks/models/m-fireworks_ai').body!;
    assert.deepEqual([body.max_tokens, body.tool_choice, Object.hasOwn(body, 'max_completion_tokens')], [12, 'any', false]);
  });

  test('groq: logprobs fields left out; openrouter: attribution headers from OR_SITE_URL and OR_APP_NAME', async () => {
    await openai.chat.completions.create({ model: 'groq', messages: [{ role: 'user', content: 'g' }], logprobs: true, top_logprobs: 2 });
    const body = last('m-groq').body!;
    assert.ok(!Object.hasOwn(body, 'logprobs') && !Object.hasOwn(body, 'top_logprobs'));
    await openai.chat.completions.create({ model: 'openrouter', messages: [{ role: 'user', content: 'o' }] });
    const headers = last('m-openrouter').headers;
    assert.deepEqual([headers['http-referer'], headers['x-title']], ['https://switchyard.example', 'switchyard-tests']);
  });

  test('lm_studio and hosted_vllm have no default host: without api_base, --validate_config names the deployment', async () => {
    const path = writeTempConfig({ model_list: [{ model_name: 'local', litellm_params: { model: 'lm_studio/qwen' } }, { model_name: 'v', litellm_params: { model: 'hosted_vllm/llama' } }] });
    const { code, stdout, stderr } = await runCli(['--validate_config', '--config', path]);
    assert.equal(code, 1, stdout + stderr);
    assert.match(stdout + stderr, /model_list\[0\]\.litellm_params.*lm_studio\/ deployment "local" needs litellm_params\.api_base/);
    assert.match(stdout + stderr, /model_list\[1\]\.litellm_params.*hosted_vllm\/ deployment "v" needs/);
  });
});
