import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { freePort } from '../support/ports.js';

/** Bad input and failing upstreams: each gets its clear error, and nothing else is lost. */

const KEY = 'sk-errors-master-key-42';
let upstream: FakeUpstream;
let gateway: GatewayProcess;
let client: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  const closedPort = await freePort();
  const deployment = (name: string, model: string, extra: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, ...extra },
  });
  gateway = await startGateway({
    config: {
      model_list: [
        deployment('good', 'good'),
        deployment('client-error', 'client-error'),
        deployment('server-error', 'server-error'),
        deployment('rate-limited', 'rate-limited'),
        deployment('garbage', 'garbage'),
        deployment('slow', 'slow', { timeout: 0.5 }),
        deployment('slow-stream', 'slow-stream', { stream_timeout: 0.5 }),
        deployment('breaks-mid-stream', 'breaks'),
        { model_name: 'refused', litellm_params: { model: 'openai/refused', api_base: `http://127.0.0.1:${closedPort}/v1` } },
        { model_name: 'sagemaker-thing', litellm_params: { model: 'sagemaker/my-endpoint' } },
      ],
      general_settings: { master_key: KEY, max_request_size_mb: 0.05 },
      router_settings: { num_retries: 0 },
    },
  });
  upstream.behave('client-error', { status: 400, errorMessage: "Invalid value for 'logit_bias': too many entries" });
  upstream.behave('server-error', { status: 500, errorMessage: 'upstream exploded' });
  upstream.behave('rate-limited', { status: 429, errorMessage: 'slow down', headers: { 'retry-after': '7' } });
  upstream.behave('garbage', { garbage: true });
  upstream.behave('slow', { hang: true });
  upstream.behave('slow-stream', { hang: true });
  upstream.behave('breaks', { text: 'one two three four five', failAfterChunks: 3 });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

async function post(path: string, body: string | object, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: { error?: { message: string; type: string; param: string | null; code: string | null } } = {};
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, json, text };
}

async function goodRequestStillWorks() {
  const answer = await client.chat.completions.create({ model: 'good', messages: [{ role: 'user', content: 'still fine?' }] });
  assert.equal(answer.choices[0]?.message.content, 'fake reply to: still fine?');
}

const chat = (model: string, extra: object = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('auth', () => {
  test('a wrong key gets 401 in the OpenAI error shape', async () => {
    const wrong = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(wrong.chat.completions.create(chat('good') as never), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'invalid_api_key');
      return true;
    });
    const missing = await post('/v1/chat/completions', chat('good'), { authorization: '' });
    assert.equal(missing.status, 401);
    assert.equal(missing.json.error?.type, 'authentication_error');
    await goodRequestStillWorks();
  });

  test('x-api-key is accepted; liveness and readiness are public', async () => {
    const viaHeader = await post('/v1/chat/completions', chat('good'), { authorization: '', 'x-api-key': KEY });
    assert.equal(viaHeader.status, 200);
    for (const path of ['/health/liveliness', '/health/liveness', '/health/readiness']) {
      const response = await fetch(`${gateway.url}${path}`);
      await response.arrayBuffer();
      assert.equal(response.status, 200, path);
    }
  });
});

describe('bad input', () => {
  test('malformed JSON is a 400 invalid_json', async () => {
    const response = await post('/v1/chat/completions', '{"model": "good", "messages": [');
    assert.equal(response.status, 400);
    assert.equal(response.json.error?.code, 'invalid_json');
    await goodRequestStillWorks();
  });

  test('schema violations are 400s naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{ model: 'good' }, 'messages'],
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
      [chat('good', { temperature: 'hot' }), 'temperature'],
      [{ model: 'good', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
      [chat('good', { stream: 'yes' }), 'stream'],
      [chat('good', { max_tokens: -3 }), 'max_tokens'],
    ];
    for (const [body, field] of cases) {
      const response = await post('/v1/chat/completions', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.json.error?.param, field);
      assert.ok(response.json.error?.message.includes(field), response.json.error?.message);
    }
    const embeddings = await post('/v1/embeddings', { model: 'good' });
    assert.equal(embeddings.status, 400);
    assert.equal(embeddings.json.error?.param, 'input');
    const notObject = await post('/v1/chat/completions', '[1, 2]');
    assert.equal(notObject.status, 400);
    await goodRequestStillWorks();
  });

  test('an unknown model is a 404 with code model_not_found, as OpenAI answers', async () => {
    await assert.rejects(client.chat.completions.create(chat('no-such-model') as never), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, 'model_not_found');
      assert.match(error.message, /no-such-model/);
      return true;
    });
    await goodRequestStillWorks();
  });

  test('a body over the limit is a 413', async () => {
    const huge = chat('good', { padding: 'x'.repeat(200_000) });
    const response = await post('/v1/chat/completions', huge);
    assert.equal(response.status, 413);
    assert.equal(response.json.error?.code, 'body_too_large');
    assert.match(response.json.error?.message ?? '', /max_request_size_mb/);
    await goodRequestStillWorks();
  });

  test('an unknown route is a 404 in the OpenAI shape', async () => {
    const response = await post('/v1/nothing-here', {});
    assert.equal(response.status, 404);
    assert.equal(response.json.error?.code, 'not_found');
  });

  test('a deployment of an unimplemented provider answers 501 naming it', async () => {
    const response = await post('/v1/chat/completions', chat('sagemaker-thing'));
    assert.equal(response.status, 501);
    assert.match(response.json.error?.message ?? '', /sagemaker/);
  });
});

describe('failing upstreams', () => {
  test('an upstream 4xx keeps its status and message', async () => {
    const response = await post('/v1/chat/completions', chat('client-error'));
    assert.equal(response.status, 400);
    assert.equal(response.json.error?.message, "Invalid value for 'logit_bias': too many entries");
    await goodRequestStillWorks();
  });

  test('an upstream 5xx is a 502 carrying the upstream message', async () => {
    const response = await post('/v1/chat/completions', chat('server-error'));
    assert.equal(response.status, 502);
    assert.match(response.json.error?.message ?? '', /upstream exploded/);
    await goodRequestStillWorks();
  });

  test('a 429 the router has given up on: the client is told not to retry, and not to wait (retry-storm.test.ts)', async () => {
    const response = await post('/v1/chat/completions', chat('rate-limited'));
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('x-should-retry'), 'false');
    assert.equal(response.headers.get('retry-after'), null);
    assert.match(response.json.error?.message ?? '', /slow down/);
  });

  test('garbage from upstream is a 502', async () => {
    const response = await post('/v1/chat/completions', chat('garbage'));
    assert.equal(response.status, 502);
    assert.equal(response.json.error?.code, 'upstream_invalid_response');
    await goodRequestStillWorks();
  });

  test('an upstream that does not answer in time is a 504 (non-streaming and streaming)', async () => {
    const started = Date.now();
    const response = await post('/v1/chat/completions', chat('slow'));
    assert.equal(response.status, 504);
    assert.equal(response.json.error?.code, 'upstream_timeout');
    assert.ok(Date.now() - started < 3000);
    const stream = await post('/v1/chat/completions', chat('slow-stream', { stream: true }));
    assert.equal(stream.status, 504);
    await goodRequestStillWorks();
  });

  test('a refused connection is a 502', async () => {
    const response = await post('/v1/chat/completions', chat('refused'));
    assert.equal(response.status, 502);
    assert.equal(response.json.error?.code, 'upstream_unreachable');
    assert.match(response.json.error?.message ?? '', /ECONNREFUSED/);
    await goodRequestStillWorks();
  });

  test('a stream that breaks after it began ends with an error event the SDK raises', async () => {
    const stream = await client.chat.completions.create({ ...chat('breaks-mid-stream'), stream: true } as never) as unknown as AsyncIterable<unknown>;
    const received: unknown[] = [];
    await assert.rejects(async () => {
      for await (const chunk of stream) received.push(chunk);
    }, (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.match(error.message, /unreachable|failed|closed/i);
      return true;
    });
    assert.ok(received.length >= 1, 'the chunks before the break were delivered');
    await goodRequestStillWorks();
  });
});
