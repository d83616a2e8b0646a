import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * No retry storms: the official SDKs at their default retry settings (2 retries, honouring
 * retry-after) call a failing group through the gateway, whose router retries too. One SDK call
 * must cause at most num_retries + 1 upstream calls in all, and the SDK must not wait out an
 * upstream's retry-after that the gateway has already served. Also LiteLLM's response headers.
 */

const MASTER_KEY = 'sk-storm-suite-master-9';
const NUM_RETRIES = 2;
let upstream: FakeUpstream;
let gateway: GatewayProcess;

before(async () => {
  upstream = await startFakeUpstream();
  const gpt = (name: string, model: string) => ({ model_name: name, litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-up-storm' } });
  const claude = (name: string, model: string) => ({ model_name: name, litellm_params: { model: `anthropic/${model}`, api_base: upstream.url, api_key: 'sk-ant-storm' } });
  gateway = await startGateway({
    config: {
      model_list: [
        gpt('down', 'down-a'), gpt('down', 'down-b'),
        gpt('limited', 'limited-up'),
        gpt('patient', 'patient-up'),
        claude('claude-down', 'claude-overloaded'),
        gpt('fine', 'fine-up'),
      ],
      general_settings: { master_key: MASTER_KEY },
      // No cooldowns in between: every SDK call must meet the same failing deployments. The
      // router waits at most 1 s for an upstream's retry-after.
      router_settings: { num_retries: NUM_RETRIES, allowed_fails: 1000, retry_after: 1 },
    },
  });
  upstream.behave((r) => r.model?.startsWith('down-') === true, { status: 500, errorMessage: 'internal failure' });
  upstream.behave('limited-up', { status: 429, errorMessage: 'slow down', headers: { 'retry-after-ms': '50', 'retry-after': '1' } });
  upstream.behave('patient-up', { status: 429, errorMessage: 'come back later', headers: { 'retry-after': '30' } });
  upstream.behave('claude-overloaded', { status: 529, errorMessage: 'Overloaded' });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

// The SDKs' defaults: no maxRetries given.
const openai = () => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY });
const anthropic = () => new Anthropic({ baseURL: gateway.url, apiKey: MASTER_KEY });

async function upstreamCalls(models: (model: string | undefined) => boolean, call: () => Promise<unknown>): Promise<{ calls: number; error: unknown }> {
  const before = upstream.requests.filter((r) => models(r.model)).length;
  let error: unknown;
  try {
    await call();
  } catch (caught) {
    error = caught;
  }
  return { calls: upstream.requests.filter((r) => models(r.model)).length - before, error };
}

describe('one failing SDK call, at the SDK\'s default retries', () => {
  test('openai SDK, upstream 500s: num_retries + 1 upstream calls, x-should-retry: false', async () => {
    const { calls, error } = await upstreamCalls((m) => m?.startsWith('down-') === true, () => openai().chat.completions.create({ model: 'down', messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(error instanceof OpenAI.InternalServerError, String(error));
    assert.equal(calls, NUM_RETRIES + 1);
    assert.equal(error.headers.get('x-should-retry'), 'false');
    assert.equal(error.headers.get('x-litellm-attempted-retries'), String(NUM_RETRIES));
  });

  test('openai SDK, upstream 429 with retry-after: the gateway waits it out, the SDK does not wait again', async () => {
    const started = Date.now();
    const { calls, error } = await upstreamCalls((m) => m === 'limited-up', () => openai().chat.completions.create({ model: 'limited', messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(error instanceof OpenAI.RateLimitError, String(error));
    assert.equal(calls, NUM_RETRIES + 1);
    assert.equal(error.headers.get('x-should-retry'), 'false');
    assert.equal(error.headers.get('retry-after'), null, 'the wait was served by the gateway already');
    assert.equal(error.headers.get('retry-after-ms'), null);
    assert.ok(Date.now() - started < 5_000, 'no client-side wait on top');
  });

  test('openai SDK, a retry-after beyond router_settings.retry_after: one call, and the wait is passed on', async () => {
    const { calls, error } = await upstreamCalls((m) => m === 'patient-up', () => openai().chat.completions.create({ model: 'patient', messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(error instanceof OpenAI.RateLimitError, String(error));
    assert.equal(calls, 1, 'the router does not wait 30 s, and the SDK does not retry');
    assert.equal(error.headers.get('x-should-retry'), 'false');
    assert.equal(error.headers.get('retry-after'), '30', 'the upstream said when a retry can help');
  });

  test('Anthropic SDK, upstream 529 overloaded on /v1/messages: num_retries + 1 upstream calls', async () => {
    const { calls, error } = await upstreamCalls((m) => m === 'claude-overloaded', () => anthropic().messages.create({ model: 'claude-down', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(error instanceof Anthropic.APIError, String(error));
    assert.equal(calls, NUM_RETRIES + 1);
    assert.equal(error.headers?.get('x-should-retry'), 'false');
  });
});

describe('LiteLLM\'s response headers', () => {
  test('a routed answer: call id, version, model name, api base (scheme, host and port only), durations, retry counts', async () => {
    const { response } = await openai().chat.completions.create({ model: 'fine', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const h = response.headers;
    assert.equal(h.get('x-litellm-call-id'), h.get('x-request-id'));
    assert.match(h.get('x-litellm-version') ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(h.get('x-litellm-model-name'), 'openai/fine-up');
    assert.equal(h.get('x-litellm-model-api-base'), `http://127.0.0.1:${upstream.port}`);
    assert.equal(h.get('x-litellm-attempted-retries'), '0');
    assert.equal(h.get('x-litellm-attempted-fallbacks'), '0');
    const total = Number(h.get('x-litellm-response-duration-ms'));
    const overhead = Number(h.get('x-litellm-overhead-duration-ms'));
    assert.ok(total > 0 && total >= overhead, `duration ${total} ms, overhead ${overhead} ms`);
    assert.equal(h.get('x-should-retry'), null);
  });

  test('an error the gateway refused before any call still has the call id and version, and no retry advice', async () => {
    const error = await openai().chat.completions.create({ model: 'no-such-group', messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.headers.get('x-litellm-call-id'), error.headers.get('x-request-id'));
    assert.ok(error.headers.get('x-litellm-version'));
    assert.equal(error.headers.get('x-should-retry'), null);
  });
});
