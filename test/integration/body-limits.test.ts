import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeUpstream, sleep, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { postBytes, type RawAnswer } from '../support/raw-post.js';

/**
 * Request bodies a worker holds: the size limit (32 MB unless configured) and the worker's budget
 * of body bytes in flight (503 with retry-after past it).
 */

const MB = 1024 * 1024;
let upstream: FakeUpstream;

before(async () => {
  upstream = await startFakeUpstream();
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

/** POSTs raw bytes to the gateway, declared or chunked. */
function post(gateway: GatewayProcess, path: string, body: Buffer, options: { chunked?: boolean } = {}): Promise<RawAnswer> {
  return postBytes(`${gateway.url}${path}`, body, options);
}

/** A chat request carrying an image as a base64 data URL, `bytes` long in all. */
function imageChat(model: string, bytes: number): Buffer {
  const frame = (image: string) => JSON.stringify({
    model, messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } }] }],
  });
  return Buffer.from(frame('A'.repeat(Math.max(0, bytes - frame('').length))));
}

const deployment = (name: string) => ({ model_name: name, litellm_params: { model: `openai/${name}`, api_base: `${upstream.url}/v1` } });

describe('the request body limit', () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({ config: { model_list: [deployment('plain')] } });
  });

  test('without max_request_size_mb, a body over 32 MB is a 413 in the OpenAI shape, declared or chunked', async () => {
    const body = imageChat('plain', 33 * MB);
    for (const chunked of [false, true]) {
      const answer = await post(gateway, '/v1/chat/completions', body, { chunked });
      assert.equal(answer.status, 413, `chunked: ${chunked}`);
      assert.equal(answer.json.error?.code, 'body_too_large');
      assert.match(answer.json.error?.message ?? '', /32 MB/);
    }
    assert.equal(upstream.count('plain'), 0);
    const small = await post(gateway, '/v1/chat/completions', imageChat('plain', 1024));
    assert.equal(small.status, 200);
  });

  test('the Anthropic route answers the same limit in its own shape', async () => {
    const answer = await post(gateway, '/v1/messages', imageChat('plain', 33 * MB));
    assert.equal(answer.status, 413);
    assert.deepEqual(Object.keys(answer.json).sort(), ['error', 'type']);
    assert.equal((answer.json.error as { type?: string }).type, 'request_too_large');
  });
});

describe('the budget of body bytes in flight', () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({ config: { model_list: [deployment('held')] }, args: ['--max_body_mb_in_flight', '1'] });
    // The upstream answers late, so that a body stays held while the next one arrives.
    upstream.behave('held', { text: 'seen', delayMs: 1_500 });
  });

  async function whileOneIsHeld(check: () => Promise<void>): Promise<void> {
    const before = upstream.count('held');
    const first = post(gateway, '/v1/chat/completions', imageChat('held', 0.7 * MB));
    const deadline = Date.now() + 5_000;
    while (upstream.count('held') === before && Date.now() < deadline) await sleep(20);
    assert.equal(upstream.count('held'), before + 1, 'the first body reached the upstream');
    await check();
    assert.equal((await first).status, 200);
  }

  test('a body that would pass the budget gets 503 with retry-after; a small one still passes', async () => {
    await whileOneIsHeld(async () => {
      for (const chunked of [false, true]) {
        const busy = await post(gateway, '/v1/chat/completions', imageChat('held', 0.7 * MB), { chunked });
        assert.equal(busy.status, 503, `chunked: ${chunked}`);
        assert.equal(busy.headers['retry-after'], '1');
        assert.equal(busy.json.error?.code, 'server_busy');
        assert.match(busy.json.error?.message ?? '', /max_body_mb_in_flight/);
      }
      const small = await post(gateway, '/v1/chat/completions', imageChat('held', 4 * 1024));
      assert.equal(small.status, 200);
    });
  });

  test('a body larger than the whole budget passes when the worker holds no other', async () => {
    for (const chunked of [false, true]) {
      const answer = await post(gateway, '/v1/chat/completions', imageChat('held', 1.5 * MB), { chunked });
      assert.equal(answer.status, 200, `chunked: ${chunked}: ${answer.text.slice(0, 200)}`);
    }
  });

  test('the bytes come back when the answers end: the same body then passes', async () => {
    const answer = await post(gateway, '/v1/chat/completions', imageChat('held', 0.7 * MB));
    assert.equal(answer.status, 200);
    const again = await post(gateway, '/v1/chat/completions', imageChat('held', 0.7 * MB));
    assert.equal(again.status, 200);
  });
});

describe('large bodies on their way upstream', () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({
      config: {
        model_list: [
          deployment('relay'),
          { model_name: 'relay-claude', litellm_params: { model: 'anthropic/relay-claude', api_base: upstream.url, api_key: 'sk-ant-fake' } },
        ],
      },
    });
  });

  /** The image URL in a body the upstream received, whichever API shape it came in. */
  function receivedImage(model: string): string | undefined {
    const body = upstream.requests.filter((r) => r.model === model).at(-1)?.body as { messages: Array<{ content: unknown }> } | undefined;
    const parts = body?.messages[0]?.content as Array<Record<string, unknown>> | undefined;
    const openai = parts?.find((p) => p.type === 'image_url')?.image_url as { url?: string } | undefined;
    const anthropic = parts?.find((p) => p.type === 'image')?.source as { data?: string; media_type?: string } | undefined;
    return openai?.url ?? (anthropic ? `data:${anthropic.media_type};base64,${anthropic.data}` : undefined);
  }

  test('a 3 MB image arrives whole, with a content-length, as sent and translated to Anthropic', async () => {
    const body = imageChat('relay', 3 * MB);
    const sent = (JSON.parse(body.toString()) as { messages: Array<{ content: Array<{ image_url?: { url: string } }> }> }).messages[0]?.content[1]?.image_url?.url;
    for (const model of ['relay', 'relay-claude']) {
      const answer = await post(gateway, '/v1/chat/completions', Buffer.from(body.toString().replace('"model":"relay"', `"model":"${model}"`)));
      assert.equal(answer.status, 200, `${model}: ${answer.text.slice(0, 200)}`);
      const received = upstream.requests.filter((r) => r.model === model).at(-1);
      assert.equal(received?.headers['transfer-encoding'], undefined, 'sent with a length, not chunked');
      assert.ok(Number(received?.headers['content-length']) > 3 * MB - 1024);
      assert.equal(receivedImage(model), sent);
    }
  });
});

