import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeUpstream, type ContentCoding, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { postBytes, type RawAnswer } from '../support/raw-post.js';

/**
 * What the gateway does with an upstream's answer before it reaches the client: an answer past
 * general_settings.max_response_size_mb is a 502 (streams are not held, so they pass), and an
 * answer compressed with a content coding (gzip, deflate, br) is decoded.
 */

const MB = 1024 * 1024;
let upstream: FakeUpstream;
let gateway: GatewayProcess;

const MODELS = ['big-declared', 'big-chunked', 'big-stream', 'fits', 'gzip-bomb', 'gzip', 'deflate', 'br', 'gzip-chunked', 'gzip-stream', 'compress', 'claude-gzip'];

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: MODELS.map((name) => ({
        model_name: name,
        litellm_params: name.startsWith('claude')
          ? { model: `anthropic/${name}`, api_base: upstream.url, api_key: 'sk-ant-fake' }
          : { model: `openai/${name}`, api_base: `${upstream.url}/v1` },
      })),
      general_settings: { max_response_size_mb: 2 },
      router_settings: { num_retries: 0 },
    },
  });
  upstream.behave('big-declared', { text: 'x'.repeat(3 * MB) });
  upstream.behave('big-chunked', { text: 'x'.repeat(3 * MB), chunked: true });
  upstream.behave('big-stream', { text: 'x'.repeat(4 * MB), chunkCount: 64 });
  // Past 1 MB the gateway writes its answer a window at a time.
  upstream.behave('fits', { text: `${'y'.repeat(1.5 * MB)}é😀`, chunked: true });
  // A few kilobytes on the wire that decode to six megabytes.
  upstream.behave('gzip-bomb', { text: 'z'.repeat(6 * MB), contentEncoding: 'gzip' });
  for (const coding of ['gzip', 'deflate', 'br'] as ContentCoding[]) upstream.behave(coding, { text: `decoded from ${coding}`, contentEncoding: coding });
  upstream.behave('gzip-chunked', { text: 'w'.repeat(300_000), contentEncoding: 'gzip', chunked: true });
  upstream.behave('gzip-stream', { text: 'one two three four five six', contentEncoding: 'gzip' });
  upstream.behave('compress', { text: 'plain bytes', headers: { 'content-encoding': 'compress' } });
  upstream.behave('claude-gzip', { text: 'decoded from an Anthropic upstream', contentEncoding: 'gzip' });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const ask = (model: string, extra: object = {}) => Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'say something' }], ...extra }));
const chat = (model: string, extra: object = {}): Promise<RawAnswer> => postBytes(`${gateway.url}/v1/chat/completions`, ask(model, extra));
const content = (answer: RawAnswer) => (answer.json.choices as Array<{ message: { content: string } }> | undefined)?.[0]?.message.content;

/** The text of an OpenAI SSE answer, and whether it ended with [DONE]. */
function streamed(text: string): { content: string; done: boolean } {
  let joined = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('data: {')) joined += (JSON.parse(line.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '';
  }
  return { content: joined, done: text.trimEnd().endsWith('data: [DONE]') };
}

describe('the answer size limit', () => {
  test('an answer over max_response_size_mb is a 502 naming the setting, with or without a declared length', async () => {
    for (const model of ['big-declared', 'big-chunked']) {
      const answer = await chat(model);
      assert.equal(answer.status, 502, model);
      assert.equal(answer.json.error?.code, 'upstream_response_too_large');
      assert.match(answer.json.error?.message ?? '', /more than 2 MB \(general_settings\.max_response_size_mb\)/);
    }
    const fits = await chat('fits');
    assert.equal(fits.status, 200);
    assert.equal(content(fits), `${'y'.repeat(1.5 * MB)}é😀`);
  });

  test('the limit counts decoded bytes: a small compressed answer that decodes past it is a 502', async () => {
    const answer = await chat('gzip-bomb');
    assert.equal(answer.status, 502);
    assert.equal(answer.json.error?.code, 'upstream_response_too_large');
  });

  test('a stream longer than the limit passes: its events are not held', async () => {
    const answer = await postBytes(`${gateway.url}/v1/chat/completions`, ask('big-stream', { stream: true }));
    assert.equal(answer.status, 200);
    assert.deepEqual(streamed(answer.text), { content: 'x'.repeat(4 * MB), done: true });
  });
});

describe('compressed answers', () => {
  test('gzip, deflate and br answers are decoded; the gateway asks for none of them', async () => {
    for (const coding of ['gzip', 'deflate', 'br']) {
      const answer = await chat(coding);
      assert.equal(answer.status, 200, `${coding}: ${answer.text.slice(0, 200)}`);
      assert.equal(content(answer), `decoded from ${coding}`);
      assert.equal(answer.headers['content-encoding'], undefined);
    }
    const asked = upstream.requests.filter((r) => ['gzip', 'deflate', 'br'].includes(r.model ?? ''));
    assert.equal(asked.length, 3);
    for (const request of asked) assert.equal(request.headers['accept-encoding'], undefined);
  });

  test('a gzip answer without a declared length, and a gzip stream, are decoded', async () => {
    const chunked = await chat('gzip-chunked');
    assert.equal(chunked.status, 200);
    assert.equal(content(chunked), 'w'.repeat(300_000));
    const stream = await postBytes(`${gateway.url}/v1/chat/completions`, ask('gzip-stream', { stream: true }));
    assert.equal(stream.status, 200);
    assert.deepEqual(streamed(stream.text), { content: 'one two three four five six', done: true });
  });

  test('an Anthropic upstream answering gzip is decoded on the native route', async () => {
    const answer = await postBytes(`${gateway.url}/v1/messages`, Buffer.from(JSON.stringify({ model: 'claude-gzip', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })));
    assert.equal(answer.status, 200, answer.text.slice(0, 300));
    assert.deepEqual(answer.json.content, [{ type: 'text', text: 'decoded from an Anthropic upstream' }]);
  });

  test('a coding the gateway cannot decode is a clear 502 naming it', async () => {
    const answer = await chat('compress');
    assert.equal(answer.status, 502);
    assert.equal(answer.json.error?.code, 'upstream_invalid_response');
    assert.match(answer.json.error?.message ?? '', /content-encoding "compress"/);
  });
});
