import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSse, encodeSse, SseDecoder } from '../../src/protocol/index.js';

test('the decoder handles split chunks, CRLF, comments, event names and multi-line data', () => {
  const decoder = new SseDecoder();
  const input = ': keep-alive\r\nevent: message_start\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: [DONE]\n\n';
  const events = [];
  for (const char of input) events.push(...decoder.push(char)); // one character at a time
  events.push(...decoder.end());
  assert.deepEqual(events, [{ event: 'message_start', data: '{"a":\n1}' }, { data: '[DONE]' }]);
});

test('a final event without its blank line still counts', async () => {
  async function* body() {
    yield Buffer.from('data: one\n\ndata: tw');
    yield Buffer.from('o');
  }
  const events = [];
  for await (const event of decodeSse(body())) events.push(event);
  assert.deepEqual(events, [{ data: 'one' }, { data: 'two' }]);
});

test('multi-byte characters split across chunks survive', async () => {
  const bytes = Buffer.from('data: héllo ✓\n\n');
  async function* body() {
    for (const byte of bytes) yield Buffer.from([byte]);
  }
  const events = [];
  for await (const event of decodeSse(body())) events.push(event);
  assert.deepEqual(events, [{ data: 'héllo ✓' }]);
});

test('encoding round-trips through the decoder', () => {
  const original = [{ data: '{"x":1}' }, { event: 'content_block_delta', data: 'line1\nline2' }];
  const decoder = new SseDecoder();
  const decoded = decoder.push(original.map(encodeSse).join(''));
  assert.deepEqual(decoded, original);
});
