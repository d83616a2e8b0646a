import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSse, mayCarryUsage, SseByteDecoder, SseDecoder } from '../../src/protocol/index.js';

/** Every event from a list of byte chunks, as a stream reader would get them. */
function decodeChunks(chunks: Buffer[]) {
  const decoder = new SseByteDecoder();
  return [...chunks.flatMap((chunk) => decoder.push(chunk)), ...decoder.end()];
}

test('the decoder handles split chunks, CRLF, comments, event names and multi-line data', () => {
  const decoder = new SseDecoder();
  const input = ': keep-alive\r\nevent: message_start\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: [DONE]\n\n';
  const events = [];
  for (const char of input) events.push(...decoder.push(char)); // one character at a time
  events.push(...decoder.end());
  assert.deepEqual(events, [{ event: 'message_start', data: '{"a":\n1}' }, { data: '[DONE]' }]);
});

test('a final event without its blank line still counts', () => {
  assert.deepEqual(decodeChunks([Buffer.from('data: one\n\ndata: tw'), Buffer.from('o')]), [{ data: 'one' }, { data: 'two' }]);
});

test('multi-byte characters split across chunks survive', () => {
  const bytes = Buffer.from('data: héllo ✓\n\n');
  assert.deepEqual(decodeChunks([...bytes].map((byte) => Buffer.from([byte]))), [{ data: 'héllo ✓' }]);
});

test('encoding round-trips through the decoder', () => {
  const original = [{ data: '{"x":1}' }, { event: 'content_block_delta', data: 'line1\nline2' }];
  const decoder = new SseDecoder();
  const decoded = decoder.push(original.map(encodeSse).join(''));
  assert.deepEqual(decoded, original);
});

test('a leading byte-order mark is dropped, once; invalid UTF-8 becomes U+FFFD without losing the event', () => {
  assert.deepEqual(decodeChunks([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf]), Buffer.from('data: a\n\ndata: \ufeffb\n\n')]), [{ data: 'a' }, { data: '\ufeffb' }]);
  assert.deepEqual(decodeChunks([Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xff, 0x78, 0x0a, 0x0a])]), [{ data: '\ufffdx' }]);
});

test('mayCarryUsage: a usage object, however spaced in the key, yes; usage null or absent, no', () => {
  assert.equal(mayCarryUsage('{"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}}'), true);
  assert.equal(mayCarryUsage('{"id":"x","choices":[{"delta":{"content":"hi"}}],"usage":null}'), false);
  assert.equal(mayCarryUsage('{"id":"x","choices":[{"delta":{"content":"usage"}}]}'), false);
});
