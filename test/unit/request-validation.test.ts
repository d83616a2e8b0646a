import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateChatRequest, validateCompletionRequest, validateEmbeddingRequest } from '../../src/protocol/index.js';

test('valid requests pass through as the same object, unknown fields kept', () => {
  const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], logprobs: true, response_format: { type: 'json_object' } };
  const result = validateChatRequest(body);
  assert.ok(result.ok);
  assert.equal(result.value, body);
});

test('each violation names its field', () => {
  const cases: Array<[unknown, string]> = [
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [{ model: 'm', messages: [] }, 'messages'],
    [{ model: 'm', messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
    [{ model: 'm', messages: [{ role: 'user', content: [{ text: 'no type' }] }] }, 'messages[0].content'],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 0 }, 'n'],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage'],
  ];
  for (const [body, param] of cases) {
    const result = validateChatRequest(body);
    assert.ok(!result.ok, JSON.stringify(body));
    assert.equal(result.problem.param, param);
  }
  const completion = validateCompletionRequest({ model: 'm' });
  assert.ok(!completion.ok && completion.problem.param === 'prompt');
  const embedding = validateEmbeddingRequest({ model: 'm', input: 'x', encoding_format: 'int8' });
  assert.ok(!embedding.ok && embedding.problem.param === 'encoding_format');
  const notObject = validateChatRequest('text');
  assert.ok(!notObject.ok);
});
