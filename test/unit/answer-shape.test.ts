import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cancellation, GatewayError } from '../../src/core/index.js';
import { ANTHROPIC_MESSAGE, CHAT_COMPLETION, EMBEDDING_LIST, TEXT_COMPLETION, type AnswerShape } from '../../src/protocol/index.js';
import type { UpstreamRequest, UpstreamResponse } from '../../src/providers/http-pool.js';
import { readJsonBody } from '../../src/providers/upstream-response.js';

/** What counts as an upstream's answer keeping its API's promise; what does not, and why. */

const chat = {
  id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt',
  choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'tool_calls' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};
const message = {
  id: 'msg_1', type: 'message', role: 'assistant', model: 'claude',
  content: [{ type: 'thinking', thinking: 'hm', signature: 's' }, { type: 'text', text: 'hi' }, { type: 'tool_use', id: 't', name: 'f', input: {} }],
  stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 },
};

function check(shape: AnswerShape, good: unknown[], bad: Array<[unknown, RegExp]>): void {
  for (const body of good) assert.equal(shape.problem(body), undefined, JSON.stringify(body));
  for (const [body, why] of bad) assert.match(shape.problem(body) ?? 'accepted', why, JSON.stringify(body));
}

test('chat completions', () => {
  check(CHAT_COMPLETION, [chat, { choices: [{ message: { content: 'text', extra: 1 } }] }], [
    [{ foo: 1 }, /"choices" is missing/],
    [{ choices: null }, /"choices" is null/],
    [{ choices: [] }, /"choices" is empty/],
    [{ choices: [5] }, /"choices\[0\]" is a number/],
    [{ choices: [{ message: 'x' }] }, /"choices\[0\].message" is a string/],
    [{ choices: [{ message: { content: 5 } }] }, /content/],
    [{ choices: [{ message: { tool_calls: [{ id: 'c' }] } }] }, /tool_calls\[0\]/],
    [[chat], /the body is a list/],
    [null, /the body is null/],
  ]);
});

test('text completions and embeddings', () => {
  check(TEXT_COMPLETION, [{ choices: [{ text: '' }] }], [[{ choices: [{ text: null }] }, /"choices\[0\].text" is null/]]);
  check(EMBEDDING_LIST, [{ data: [{ embedding: [0.1] }, { embedding: 'AAAA' }] }], [
    [{ data: [{ index: 0 }] }, /"data\[0\].embedding" is missing/],
    [{ object: 'list' }, /"data" is missing/],
  ]);
});

test('Anthropic messages: a list of typed blocks (an empty one too)', () => {
  check(ANTHROPIC_MESSAGE, [message, { ...message, content: [] }], [
    [{ ...message, content: undefined }, /"content" is missing/],
    [{ ...message, content: 'hi' }, /"content" is a string/],
    [{ ...message, content: [{ text: 'no type' }] }, /content\[0\]/],
    [{ ...message, content: [{ type: 'text', text: 5 }] }, /content\[0\].text/],
    [{ ...message, content: [{ type: 'tool_use', input: {} }] }, /tool_use/],
  ]);
});

test('an answer is read only when it keeps the promise; JSON nested too deep to pass on does not', async () => {
  const response = (text: string): UpstreamResponse => ({
    statusCode: 200, headers: { 'content-type': 'application/json' }, text: () => Promise.resolve(text), abort: () => undefined,
    [Symbol.asyncIterator]: () => { throw new Error('not used'); },
  });
  const request: UpstreamRequest = { url: new URL('http://127.0.0.1:1/v1/chat/completions'), headers: {}, signal: new Cancellation().signal, timeoutMs: 1_000, stream: false, label: 'deployment d', maxAnswerBytes: 64 * 1024 * 1024 };
  assert.deepEqual(await readJsonBody(response(JSON.stringify(chat)), request, CHAT_COMPLETION), chat);
  const deep = `{"choices":[{"message":{"content":"x","tool_calls":[{"id":"c","function":{"name":"f","arguments":${'['.repeat(5_000)}${']'.repeat(5_000)}}}]}}]}`;
  for (const [text, why] of [['{"foo":1}', /"choices" is missing/], [deep, /nested more than 100 levels/]] as const) {
    await assert.rejects(readJsonBody(response(text), request, CHAT_COMPLETION), (e: unknown) =>
      e instanceof GatewayError && e.code === 'upstream_invalid_response' && e.origin === 'upstream' && /deployment d answered 200 with a body that is not a chat completion/.test(e.message) && why.test(e.message));
  }
});
