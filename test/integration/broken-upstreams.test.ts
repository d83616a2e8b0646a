import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';

/**
 * Upstreams that break their API's promise while answering 200: a stream cut short (closed
 * cleanly, but without its end) and a JSON answer of the wrong shape. Neither may reach the
 * client as a success: a truncated stream ends with an error event in the caller's API shape, a
 * malformed answer is a 502 `upstream_invalid_response`, and both are logged, metered and charged
 * to the deployment that answered (one failure cools it down here: `allowed_fails: 0`).
 */

const KEY = 'sk-broken-upstreams-master-3';
const UPSTREAM_KEY = 'sk-broken-upstreams-upstream-key-9';
const MESSAGES = [{ role: 'user' as const, content: 'one two three four five' }];

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
/** What the `malformed*` deployments answer next (NONE: a real answer). */
const NONE = Symbol('none');
let answer: unknown = NONE;

before(async () => {
  upstream = await startFakeUpstream();
  const gpt = (group: string, n = 1) => ({
    model_name: group, litellm_params: { model: `openai/${group}`, api_base: `${upstream.url}/v1`, api_key: UPSTREAM_KEY }, model_info: { id: `${group}-${n}` },
  });
  const claude = (group: string, n = 1) => ({
    model_name: group, litellm_params: { model: `anthropic/${group}`, api_base: upstream.url, api_key: UPSTREAM_KEY }, model_info: { id: `${group}-${n}` },
  });
  gateway = await startGateway({
    config: {
      model_list: [
        gpt('cut-chat'), gpt('cut-chat', 2), gpt('cut-completion'), claude('cut-native'), claude('cut-native', 2),
        gpt('cut-to-messages'), claude('cut-to-chat'), gpt('no-done'),
        gpt('malformed'), gpt('malformed-completion'), gpt('malformed-embedding'), claude('malformed-claude'),
        gpt('malformed-to-messages'), gpt('malformed-pair'), gpt('malformed-pair', 2),
      ],
      general_settings: { master_key: KEY },
      router_settings: { num_retries: 0, allowed_fails: 0, cooldown_time: 60 },
    },
  });
  // OpenAI streams: the role chunk and one content chunk. Anthropic: message_start, ping, a block start and one delta.
  for (const model of ['cut-chat', 'cut-completion', 'cut-to-messages']) upstream.behave(model, { truncateAfterChunks: 2 });
  for (const model of ['cut-native', 'cut-to-chat']) upstream.behave(model, { truncateAfterChunks: 4 });
  // Every event, finish_reason included, but no [DONE]: some OpenAI-compatible servers end so.
  upstream.behave('no-done', { text: 'all of it', truncateAfterChunks: 1_000 });
  upstream.behave((r) => r.model?.startsWith('malformed') === true, () => (answer === NONE ? {} : { answerBody: answer }));
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const cooling = (id: string | null) => (line: LogLine) => line.msg === 'deployment cooling down' && line.deployment_id === id;

/** Failed attempts the metrics count for a deployment, by outcome. */
async function failures(deployment: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^switchyard_upstream_requests_total\{([^}]*)\} (\d+)$/gm)) {
    const labels = match[1] as string;
    const outcome = /outcome="([^"]+)"/.exec(labels)?.[1] as string;
    if (labels.includes(`deployment="${deployment}"`) && outcome !== 'ok') out[outcome] = Number(match[2]);
  }
  return out;
}

async function post(path: string, body: object): Promise<{ status: number; json: { error?: { code?: string; message?: string; type?: string } }; text: string }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json = {};
  try {
    json = JSON.parse(text) as object;
  } catch {
    // a stream, or not JSON
  }
  return { status: response.status, json, text };
}

describe('a stream cut short is never a success', () => {
  test('OpenAI API, OpenAI-compatible upstream: the SDK raises after the chunks that came; logged, metered and charged as failed', async () => {
    const requestId = 'cut-chat-request';
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'cut-chat', messages: MESSAGES, stream: true }, { headers: { 'x-request-id': requestId } })
      .withResponse();
    const deployment = response.headers.get('x-litellm-model-id');
    const received: string[] = [];
    await assert.rejects(async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    }, (error: unknown) => error instanceof OpenAI.APIError && /ended the stream/.test(error.message));
    assert.deepEqual(received, ['', 'fake'], 'the chunks before the cut were delivered');
    const line = await gateway.waitForLog((l) => l.msg === 'request' && l.request_id === requestId, 5_000, 'the request log line');
    assert.equal(line.error_code, 'upstream_error');
    await gateway.waitForLog(cooling(deployment), 5_000, `a cooldown of ${deployment}`);
    assert.deepEqual(await failures(deployment as string), { transient: 1 });
  });

  test('OpenAI completions stream: an error event ends it, never [DONE]', async () => {
    const { status, text } = await post('/v1/completions', { model: 'cut-completion', prompt: 'one two three four', stream: true });
    assert.equal(status, 200);
    assert.doesNotMatch(text, /^data: \[DONE\]$/m);
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] as string) as { error?: { code: string; message: string } });
    assert.equal(events.length, 3, 'two chunks, then the error');
    assert.equal(events.at(-1)?.error?.code, 'upstream_error');
    assert.match(events.at(-1)?.error?.message ?? '', /cut-completion.*ended the stream/);
    assert.deepEqual(await failures('cut-completion-1'), { transient: 1 });
  });

  test('Anthropic API, native anthropic/ upstream without message_stop: the Anthropic SDK raises; charged as failed', async () => {
    const { data: stream, response } = await anthropic.messages.create({ model: 'cut-native', max_tokens: 10, messages: MESSAGES, stream: true }).withResponse();
    const deployment = response.headers.get('x-litellm-model-id');
    const events: string[] = [];
    await assert.rejects(async () => {
      for await (const event of stream) events.push(event.type);
    }, (error: unknown) => error instanceof Anthropic.APIError && /message_stop/.test(error.message));
    assert.deepEqual(events, ['message_start', 'content_block_start', 'content_block_delta'], 'the events before the cut (the SDK skips ping)');
    await gateway.waitForLog(cooling(deployment), 5_000, `a cooldown of ${deployment}`);
    assert.deepEqual(await failures(deployment as string), { transient: 1 });
  });

  test('translated either way: /v1/messages from an OpenAI upstream and chat from an anthropic/ one both raise', async () => {
    const toMessages = anthropic.messages.stream({ model: 'cut-to-messages', max_tokens: 10, messages: MESSAGES });
    await assert.rejects(toMessages.finalMessage(), (error: unknown) => error instanceof Anthropic.APIError && /ended the stream/.test(error.message));
    const toChat = await openai.chat.completions.create({ model: 'cut-to-chat', messages: MESSAGES, stream: true });
    await assert.rejects(async () => {
      for await (const chunk of toChat) assert.ok(chunk);
    }, (error: unknown) => error instanceof OpenAI.APIError && /message_stop/.test(error.message));
    assert.deepEqual(await failures('cut-to-messages-1'), { transient: 1 });
    assert.deepEqual(await failures('cut-to-chat-1'), { transient: 1 });
  });

  test('a stream that gave its finish_reason but no [DONE] is complete', async () => {
    let text = '';
    for await (const chunk of await openai.chat.completions.create({ model: 'no-done', messages: MESSAGES, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'all of it');
    assert.deepEqual(await failures('no-done-1'), {});
  });
});

describe('a 200 answer of the wrong shape is a 502', () => {
  /** Sends each answer through `path` and checks the 502; answers the messages. */
  async function expectInvalid(path: string, body: object, answers: unknown[]): Promise<string[]> {
    const messages: string[] = [];
    for (const value of answers) {
      answer = value;
      const result = await post(path, body);
      assert.equal(result.status, 502, `${JSON.stringify(value)} on ${path}: ${result.text}`);
      messages.push(result.json.error?.message ?? '');
      if (path !== '/v1/messages') assert.equal(result.json.error?.code, 'upstream_invalid_response', result.text);
    }
    answer = NONE;
    assert.equal((await post(path, body)).status, 200, 'a real answer still passes');
    return messages;
  }

  test('chat completions: not an object, no choices, choices of the wrong shape; each counted against the deployment', async () => {
    const answers = [{ foo: 1 }, { choices: null }, { choices: [] }, { choices: [null] }, { choices: [{ index: 0, message: null }] },
      { choices: [{ message: { role: 'assistant', content: 'x', tool_calls: 'none' } }] }, 5, 'text', [], null];
    const messages = await expectInvalid('/v1/chat/completions', { model: 'malformed', messages: MESSAGES }, answers);
    for (const message of messages) assert.match(message, /malformed\/malformed-1 .*not a chat completion/);
    assert.match(messages[1] as string, /choices/);
    assert.deepEqual(await failures('malformed-1'), { transient: answers.length });
  });

  test('completions and embeddings', async () => {
    await expectInvalid('/v1/completions', { model: 'malformed-completion', prompt: 'x' }, [{ foo: 1 }, { choices: null }, { choices: [{ text: 5 }] }]);
    await expectInvalid('/v1/embeddings', { model: 'malformed-embedding', input: 'x' }, [{ foo: 1 }, { data: null }, { data: [null] }, { data: [{ index: 0 }] }]);
    assert.deepEqual(await failures('malformed-completion-1'), { transient: 3 });
    assert.deepEqual(await failures('malformed-embedding-1'), { transient: 4 });
  });

  test('Anthropic answers without content, natively and translated; an OpenAI answer without choices on /v1/messages', async () => {
    const bad = [{ id: 'msg_1', type: 'message', role: 'assistant', model: 'm', stop_reason: 'end_turn', usage: {} }, { content: null }, { content: 'text' }, { content: [null] }, 7];
    const native = await expectInvalid('/v1/messages', { model: 'malformed-claude', max_tokens: 10, messages: MESSAGES }, bad);
    for (const message of native) assert.match(message, /not an Anthropic message/);
    await expectInvalid('/v1/chat/completions', { model: 'malformed-claude', messages: MESSAGES }, bad);
    await expectInvalid('/v1/messages', { model: 'malformed-to-messages', max_tokens: 10, messages: MESSAGES }, [{ choices: null }, { id: 'x' }]);
    assert.deepEqual(await failures('malformed-claude-1'), { transient: bad.length * 2 });
    assert.deepEqual(await failures('malformed-to-messages-1'), { transient: 2 });
  });

  test('in a group of two, the deployment that answered so is cooled down', async () => {
    answer = { foo: 1 };
    const result = await post('/v1/chat/completions', { model: 'malformed-pair', messages: MESSAGES });
    answer = NONE;
    assert.equal(result.status, 502);
    const line = await gateway.waitForLog((l) => l.msg === 'deployment cooling down' && String(l.deployment_id).startsWith('malformed-pair-'), 5_000, 'a cooldown');
    assert.equal(line.error_code, 'upstream_invalid_response');
  });
});
