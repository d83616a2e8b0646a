import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';

/**
 * Routing against the fake upstream: retries, cooldowns, Retry-After, fallback chains, streams
 * that fail before and after their first byte, context-window and content-policy fallbacks.
 * Deployments are told apart by the upstream model name the gateway sends.
 */

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let client: OpenAI;

const COOLDOWN_SECONDS = 1.5;
const RETRY_AFTER_CAP_SECONDS = 3;

before(async () => {
  upstream = await startFakeUpstream();
  const deployment = (group: string, model: string, extra: Record<string, unknown> = {}) => ({
    model_name: group,
    litellm_params: { model: `openai/${model}`, api_base: `${upstream.url}/v1`, api_key: 'sk-fake-upstream-key', ...extra },
    model_info: { id: model },
  });
  const once = { max_retries: 0 };
  gateway = await startGateway({
    config: {
      model_list: [
        deployment('pair', 'pair-good'),
        deployment('pair', 'pair-bad'),
        deployment('limited', 'limited'),
        deployment('limited-long', 'limited-long'),
        deployment('chain-a', 'chain-a', once),
        deployment('chain-b', 'chain-b', once),
        deployment('chain-c', 'chain-c'),
        deployment('loop-a', 'loop-a', once),
        deployment('loop-b', 'loop-b', once),
        deployment('picky', 'picky'),
        deployment('stream-flaky', 'stream-flaky'),
        deployment('stream-breaks', 'stream-breaks'),
        deployment('small-ctx', 'small-ctx'),
        deployment('big-ctx', 'big-ctx'),
        deployment('strict-policy', 'strict-policy'),
        deployment('lenient', 'lenient'),
        deployment('exhaust', 'exhaust'),
      ],
      router_settings: {
        num_retries: 2,
        allowed_fails: 1,
        cooldown_time: COOLDOWN_SECONDS,
        retry_after: RETRY_AFTER_CAP_SECONDS,
        fallbacks: [{ 'chain-a': ['chain-b'] }, { 'chain-b': ['chain-c'] }, { 'loop-a': ['loop-b'] }, { 'loop-b': ['loop-a'] }, { picky: ['chain-c'] }],
        context_window_fallbacks: [{ 'small-ctx': ['big-ctx'] }],
        content_policy_fallbacks: [{ 'strict-policy': ['lenient'] }],
      },
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'anything', maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const ask = (model: string, content = 'hello') => client.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();

const cooling = (id: string) => (line: LogLine) => line.msg === 'deployment cooling down' && line.deployment_id === id;

describe('retries and cooldowns', () => {
  test('one of two deployments failing: every request succeeds, the bad one sits out its cooldown, then comes back', async () => {
    upstream.behave('pair-bad', { status: 500, errorMessage: 'bad deployment' });
    for (let i = 0; i < 60 && !gateway.logs.some(cooling('pair-bad')); i++) {
      const badBefore = upstream.count('pair-bad');
      const { data, response } = await ask('pair', `request ${i}`);
      assert.equal(data.choices[0]?.message.content, `fake reply to: request ${i}`);
      assert.equal(response.headers.get('x-litellm-model-id'), 'pair-good');
      assert.equal(response.headers.get('x-litellm-model-group'), 'pair');
      const triedBad = upstream.count('pair-bad') > badBefore;
      assert.equal(response.headers.get('x-litellm-attempted-retries'), triedBad ? '1' : '0');
      assert.equal(response.headers.get('x-litellm-attempted-fallbacks'), '0');
    }
    const line = await gateway.waitForLog(cooling('pair-bad'), 1_000, 'the bad deployment cooling down');
    assert.equal(line.reason, 'failures');
    assert.equal(upstream.count('pair-bad'), 2, 'allowed_fails: 1 → the second failure starts the cooldown');

    // During the cooldown the bad one gets nothing.
    for (let i = 0; i < 10; i++) {
      const { response } = await ask('pair');
      assert.equal(response.headers.get('x-litellm-attempted-retries'), '0');
    }
    assert.equal(upstream.count('pair-bad'), 2);

    await gateway.waitForLog((l) => l.msg === 'deployment back from cooldown' && l.deployment_id === 'pair-bad', 5_000, 'the cooldown ending');
    upstream.behave('pair-bad', {}); // healthy again
    let answeredByBad = false;
    for (let i = 0; i < 40 && !answeredByBad; i++) {
      const { response } = await ask('pair');
      answeredByBad = response.headers.get('x-litellm-model-id') === 'pair-bad';
    }
    assert.ok(answeredByBad, 'after its cooldown the deployment serves again');
  });

  test('a 429 with Retry-After is waited out, then retried', async () => {
    let calls = 0;
    upstream.behave('limited', () => (calls++ === 0 ? { status: 429, errorMessage: 'slow down', headers: { 'retry-after': '1' } } : {}));
    const { data, response } = await ask('limited', 'patience');
    assert.equal(data.choices[0]?.message.content, 'fake reply to: patience');
    assert.equal(response.headers.get('x-litellm-attempted-retries'), '1');
    const [first, second] = upstream.requests.filter((r) => r.model === 'limited');
    assert.ok(second!.receivedAt - first!.receivedAt >= 950, `retried ${second!.receivedAt - first!.receivedAt} ms later`);
  });

  test('a Retry-After beyond the cap is not waited for: the client gets the 429 and the upstream\'s Retry-After', async () => {
    upstream.behave('limited-long', { status: 429, errorMessage: 'come back in a while', headers: { 'retry-after': '30' } });
    await assert.rejects(ask('limited-long'), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers?.get('retry-after'), '30');
      assert.equal(error.headers?.get('x-litellm-attempted-retries'), '0');
      return true;
    });
    assert.equal(upstream.count('limited-long'), 1);
  });
});

describe('fallbacks', () => {
  test('a chain: a fails, its fallback b fails, b\'s fallback c answers', async () => {
    upstream.behave('chain-a', { status: 500 });
    upstream.behave('chain-b', { status: 503 });
    const { data, response } = await ask('chain-a', 'anyone?');
    assert.equal(data.choices[0]?.message.content, 'fake reply to: anyone?');
    assert.equal(response.headers.get('x-litellm-model-group'), 'chain-c');
    assert.equal(response.headers.get('x-litellm-model-id'), 'chain-c');
    assert.equal(response.headers.get('x-litellm-attempted-fallbacks'), '2');
    assert.deepEqual([upstream.count('chain-a'), upstream.count('chain-b'), upstream.count('chain-c')], [1, 1, 1]);
  });

  test('a loop ends: each group once, then the first group\'s error', async () => {
    upstream.behave('loop-a', { status: 500, errorMessage: 'loop-a is down' });
    upstream.behave('loop-b', { status: 500, errorMessage: 'loop-b is down' });
    await assert.rejects(ask('loop-a'), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 502);
      assert.match(error.message, /loop-a is down/);
      assert.equal(error.headers?.get('x-litellm-attempted-fallbacks'), '1');
      return true;
    });
    assert.deepEqual([upstream.count('loop-a'), upstream.count('loop-b')], [1, 1]);
  });

  test('a group that keeps failing is tried exactly 1 + num_retries times, then the client gets the error', async () => {
    upstream.behave('exhaust', { status: 503, errorMessage: 'always down' });
    const before = upstream.count('exhaust');
    await assert.rejects(ask('exhaust'), (error: unknown) => error instanceof OpenAI.APIError && Number(error.status) >= 500);
    assert.equal(upstream.count('exhaust') - before, 3, 'num_retries: 2 means three attempts');
  });

  test('a plain bad request neither retries nor falls back', async () => {
    const before = upstream.count('chain-c');
    upstream.behave('picky', { status: 400, errorMessage: "Invalid value for 'logit_bias'" });
    await assert.rejects(ask('picky'), (error: unknown) => error instanceof OpenAI.BadRequestError);
    assert.equal(upstream.count('picky'), 1);
    assert.equal(upstream.count('chain-c'), before);
  });

  test('a context-window error falls back to the context_window_fallbacks group', async () => {
    upstream.behave('small-ctx', {
      status: 400,
      errorCode: 'context_length_exceeded',
      errorMessage: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9120 tokens.",
    });
    const { data, response } = await ask('small-ctx', 'a very long story');
    assert.equal(data.choices[0]?.message.content, 'fake reply to: a very long story');
    assert.equal(response.headers.get('x-litellm-model-group'), 'big-ctx');
    assert.equal(response.headers.get('x-litellm-attempted-fallbacks'), '1');
    assert.equal(upstream.count('small-ctx'), 1, 'not retried: the same model would refuse again');
  });

  test('a content-policy refusal falls back to the content_policy_fallbacks group', async () => {
    upstream.behave('strict-policy', { status: 400, errorCode: 'content_policy_violation', errorMessage: 'Your request was rejected as a result of our safety system.' });
    const { response } = await ask('strict-policy');
    assert.equal(response.headers.get('x-litellm-model-group'), 'lenient');
    assert.equal(upstream.count('strict-policy'), 1);
  });
});

describe('streams', () => {
  async function read(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return text;
  }

  test('a stream that fails before its first byte is retried; the client sees one clean stream', async () => {
    let calls = 0;
    // The first upstream response begins (headers and a comment line) and breaks before any event.
    upstream.behave('stream-flaky', () => (calls++ === 0 ? { preamble: ': processing\n\n', failAfterChunks: 0 } : { text: 'one two three' }));
    const { data, response } = await client.chat.completions.create({ model: 'stream-flaky', messages: [{ role: 'user', content: 'go' }], stream: true }).withResponse();
    assert.equal(response.headers.get('x-litellm-attempted-retries'), '1');
    assert.equal(await read(data), 'one two three');
    assert.equal(upstream.count('stream-flaky'), 2);
  });

  test('a stream that fails after its first byte is not retried; the client gets the start and a clean error event', async () => {
    upstream.behave('stream-breaks', { text: 'alpha beta gamma delta', failAfterChunks: 2 });
    const stream = await client.chat.completions.create({ model: 'stream-breaks', messages: [{ role: 'user', content: 'go' }], stream: true });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    }, (error: unknown) => error instanceof OpenAI.APIError);
    assert.equal(text, 'alpha');
    assert.equal(upstream.count('stream-breaks'), 1);
  });
});
