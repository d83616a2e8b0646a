import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/** The official openai client against the gateway process: every endpoint, three provider kinds. */

const MASTER_KEY = 'sk-test-master-0123456789';
let upstream: FakeUpstream;
let gateway: GatewayProcess;
let client: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'gpt-compat', litellm_params: { model: 'openai/upstream-chat', api_base: `${upstream.url}/v1`, api_key: 'sk-upstream-secret-abcdef123' } },
        { model_name: 'azure-chat', litellm_params: { model: 'azure/my-azure-deployment', api_base: upstream.url, api_key: 'azure-secret-key-123456', api_version: '2024-06-01' } },
        { model_name: 'mocked', litellm_params: { model: 'openai/whatever', mock_response: 'The quick brown fox jumps over the lazy dog' } },
        { model_name: 'modèle-日本', litellm_params: { model: 'openai/whatever', mock_response: 'bonjour' }, model_info: { id: 'déploiement' } },
        { model_name: 'embed-compat', litellm_params: { model: 'openai/upstream-embed', api_base: `${upstream.url}/v1` }, model_info: { mode: 'embedding' } },
        { model_name: 'azure-embed', litellm_params: { model: 'azure/embed-deployment', api_base: upstream.url, api_key: 'azure-secret-key-123456' }, model_info: { mode: 'embedding' } },
        { model_name: 'mock-embed', litellm_params: { model: 'openai/e', mock_response: 'x' }, model_info: { mode: 'embedding' } },
        { model_name: 'completion-compat', litellm_params: { model: 'openai/upstream-instruct', api_base: `${upstream.url}/v1` }, model_info: { mode: 'completion' } },
        { model_name: 'azure-completion', litellm_params: { model: 'azure/instruct-deployment', api_base: upstream.url, api_key: 'azure-secret-key-123456' } },
      ],
      general_settings: { master_key: MASTER_KEY },
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

async function collectStream(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('chat completions', () => {
  for (const [group, upstreamModel] of [['gpt-compat', 'upstream-chat'], ['azure-chat', 'my-azure-deployment']] as const) {
    test(`non-streaming through ${group}`, async () => {
      const before = upstream.requests.length;
      const answer = await client.chat.completions.create({
        model: group,
        messages: [{ role: 'user', content: 'hello there' }],
        temperature: 0.3,
        seed: 42,
        response_format: { type: 'text' },
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
      });
      assert.equal(answer.choices[0]?.message.content, 'fake reply to: hello there');
      assert.equal(answer.choices[0]?.finish_reason, 'stop');
      assert.ok(answer.usage && answer.usage.total_tokens === answer.usage.prompt_tokens + answer.usage.completion_tokens);
      const seen = upstream.requests.slice(before);
      assert.equal(seen.length, 1);
      const received = seen[0]!;
      assert.equal(received.model, upstreamModel);
      // Parameters the gateway does not interpret reach the upstream unchanged.
      assert.equal(received.body?.seed, 42);
      assert.deepEqual(received.body?.response_format, { type: 'text' });
      assert.equal((received.body?.tools as unknown[]).length, 1);
      assert.equal(received.body?.temperature, 0.3);
      if (group === 'azure-chat') {
        assert.equal(received.path, '/openai/deployments/my-azure-deployment/chat/completions');
        assert.equal(received.headers['api-key'], 'azure-secret-key-123456');
        assert.equal(received.headers.authorization, undefined);
      } else {
        assert.equal(received.path, '/v1/chat/completions');
        assert.equal(received.headers.authorization, 'Bearer sk-upstream-secret-abcdef123');
      }
    });

    test(`streaming through ${group}: every chunk in order, [DONE], usage when asked`, async () => {
      upstream.behave(upstreamModel, { text: 'one two three four five six', chunkCount: 6 });
      const stream = await client.chat.completions.create({
        model: group,
        messages: [{ role: 'user', content: 'count' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = await collectStream(stream);
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      assert.equal(text, 'one two three four five six');
      const contentChunks = chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '');
      assert.equal(contentChunks.length, 6);
      assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'stop');
      const last = chunks.at(-1)!;
      assert.equal(last.choices.length, 0);
      assert.ok(last.usage && last.usage.completion_tokens > 0);
    });
  }

  test('streaming with the mock deployment, word by word, usage only when asked', async () => {
    const withUsage = await collectStream(await client.chat.completions.create({
      model: 'mocked', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true },
    }));
    assert.equal(withUsage.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'The quick brown fox jumps over the lazy dog');
    assert.equal(withUsage.filter((c) => c.choices[0]?.delta.content).length, 9);
    assert.ok(withUsage.at(-1)?.usage?.total_tokens);

    const without = await collectStream(await client.chat.completions.create({ model: 'mocked', messages: [{ role: 'user', content: 'hi' }], stream: true }));
    assert.ok(without.every((c) => c.usage === undefined || c.usage === null));
  });

  test('non-streaming with the mock deployment', async () => {
    const answer = await client.chat.completions.create({ model: 'mocked', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'The quick brown fox jumps over the lazy dog');
    assert.ok(answer.usage!.completion_tokens > 0 && answer.usage!.prompt_tokens > 0);
  });

  test('the raw SSE bytes are what the OpenAI SDK parses: data lines, blank line, [DONE]', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mocked', messages: [{ role: 'user', content: 'x' }], stream: true }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.match(response.headers.get('x-litellm-overhead-duration-ms') ?? 'missing', /^\d+\.\d\d$/, 'streams carry the overhead header too');
    assert.equal(response.headers.get('x-litellm-model-group'), 'mocked');
    const raw = await response.text();
    assert.ok(raw.endsWith('data: [DONE]\n\n'));
    const events = raw.split('\n\n').filter(Boolean);
    assert.ok(events.every((event) => event.startsWith('data: ')));
  });

  test('a model group or deployment id that is not visible ASCII reaches the routing headers percent-encoded', async () => {
    for (const stream of [false, true]) {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'modèle-日本', messages: [{ role: 'user', content: 'x' }], stream }),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-litellm-model-group'), encodeURIComponent('modèle-日本'));
      assert.equal(response.headers.get('x-litellm-model-id'), encodeURIComponent('déploiement'));
      assert.match(await response.text(), /bonjour/);
    }
  });
});

describe('completions', () => {
  for (const [group, upstreamModel] of [['completion-compat', 'upstream-instruct'], ['azure-completion', 'instruct-deployment']] as const) {
    test(`non-streaming and streaming through ${group}`, async () => {
      const answer = await client.completions.create({ model: group, prompt: 'Say this', max_tokens: 7 });
      assert.equal(answer.choices[0]?.text, 'fake completion of: Say this');
      const last = upstream.requests.filter((r) => r.model === upstreamModel).at(-1)!;
      assert.ok(last.path.endsWith('/completions') && !last.path.endsWith('/chat/completions'));
      assert.equal(last.body?.max_tokens, 7);

      const stream = await client.completions.create({ model: group, prompt: 'Stream this', stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
      assert.equal(text, 'fake completion of: Stream this');
    });
  }

  test('mock completion', async () => {
    const answer = await client.completions.create({ model: 'mocked', prompt: 'anything' });
    assert.equal(answer.choices[0]?.text, 'The quick brown fox jumps over the lazy dog');
  });
});

describe('embeddings', () => {
  test('through openai/, azure/ and the mock', async () => {
    const compat = await client.embeddings.create({ model: 'embed-compat', input: ['alpha', 'beta'] });
    assert.equal(compat.data.length, 2);
    assert.deepEqual(compat.data[1]?.embedding, [1, 4, 0.5]);

    const azure = await client.embeddings.create({ model: 'azure-embed', input: 'gamma' });
    assert.deepEqual(azure.data[0]?.embedding, [0, 5, 0.5]);
    assert.equal(upstream.requests.at(-1)?.path, '/openai/deployments/embed-deployment/embeddings');

    // The SDK asks for base64 by default and decodes it; floats when asked for them.
    const mock = await client.embeddings.create({ model: 'mock-embed', input: 'same text', dimensions: 8 });
    const again = await client.embeddings.create({ model: 'mock-embed', input: 'same text', dimensions: 8, encoding_format: 'float' });
    assert.equal(mock.data[0]?.embedding.length, 8);
    assert.deepEqual(mock.data[0]?.embedding.map((v) => v.toFixed(5)), again.data[0]?.embedding.map((v) => v.toFixed(5)));
    const norm = Math.sqrt(again.data[0]!.embedding.reduce((sum, v) => sum + v * v, 0));
    assert.ok(Math.abs(norm - 1) < 1e-3, `mock vectors are unit length (got ${norm})`);
  });
});

describe('models', () => {
  test('models.list() lists every model group once, in the OpenAI list shape', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      assert.equal(model.object, 'model');
      ids.push(model.id);
    }
    assert.deepEqual(ids, ['gpt-compat', 'azure-chat', 'mocked', 'modèle-日本', 'embed-compat', 'azure-embed', 'mock-embed', 'completion-compat', 'azure-completion']);

    const bare = await fetch(`${gateway.url}/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    assert.equal(((await bare.json()) as { data: unknown[] }).data.length, 9);
  });
});

describe('request ids, overhead and logs', () => {
  test('x-request-id is echoed or generated; the overhead header is a number', async () => {
    const echoed = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'x-request-id': 'trace-abc-123' },
      body: JSON.stringify({ model: 'mocked', messages: [{ role: 'user', content: 'x' }] }),
    });
    await echoed.arrayBuffer();
    assert.equal(echoed.headers.get('x-request-id'), 'trace-abc-123');
    assert.match(echoed.headers.get('x-litellm-overhead-duration-ms') ?? 'missing', /^\d+\.\d\d$/);

    const generated = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    await generated.arrayBuffer();
    assert.match(generated.headers.get('x-request-id') ?? '', /^[\w-]{8,}$/);

    const line = await gateway.waitForLog((l) => l.msg === 'request' && l.request_id === 'trace-abc-123');
    assert.equal(line.status, 200);
    assert.equal(line.model_group, 'mocked');
  });

  test('no key, upstream key or authorization header ever appears in the logs', async () => {
    await client.chat.completions.create({ model: 'gpt-compat', messages: [{ role: 'user', content: 'secret check' }] });
    await gateway.waitForLog((l) => l.msg === 'request' && l.model_group === 'gpt-compat');
    const output = gateway.output();
    for (const secret of [MASTER_KEY, 'sk-upstream-secret-abcdef123', 'azure-secret-key-123456', 'Bearer']) {
      assert.ok(!output.includes(secret), `logs contain ${secret}`);
    }
  });
});
