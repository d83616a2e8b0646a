import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_JSON_NESTING, nestingProblem, validateChatRequest, validateCompletionRequest, validateEmbeddingRequest, validateMessagesRequest,
} from '../../src/protocol/index.js';

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
    [{ model: 'm', messages: [{ role: 'user', content: [{ text: 'no type' }] }] }, 'messages[0].content[0].type'],
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

test('JSON nested past the limit is refused before anything walks it, naming where it is', () => {
  let deep: unknown = 'leaf';
  for (let i = 0; i < 50_000; i++) deep = i % 2 === 0 ? [deep] : { a: deep };
  const chat = validateChatRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f', parameters: deep } }] });
  assert.ok(!chat.ok);
  assert.ok(chat.problem.param.startsWith('tools[0].function.parameters'), chat.problem.param);
  assert.match(chat.problem.message, new RegExp(`more than ${MAX_JSON_NESTING} levels`));
  const messages = validateMessagesRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], metadata: { extra: deep } });
  assert.ok(!messages.ok);
  assert.ok(messages.problem.param.startsWith('metadata.extra'), messages.problem.param);
});

test('the nesting limit is exact: the body itself is level 1', () => {
  const nest = (levels: number) => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  };
  // The body is one level and `metadata` another, so the limit leaves MAX - 1 for what it holds.
  const body = (levels: number) => ({ model: 'm', messages: [{ role: 'user', content: 'x' }], metadata: nest(levels) });
  assert.ok(validateChatRequest(body(MAX_JSON_NESTING - 1)).ok);
  const over = validateChatRequest(body(MAX_JSON_NESTING));
  assert.ok(!over.ok && over.problem.param.startsWith('metadata[0]'));
  assert.equal(nestingProblem({ a: { b: 'deep strings and numbers do not count' } }), undefined);
});

test('every field a translator reads is checked, down to the part, tool call or tool', () => {
  const user = { role: 'user', content: 'x' };
  const cases: Array<[unknown, string]> = [
    [{ model: 'm', messages: [user, { role: 'assistant', content: null, tool_calls: { id: 'c' } }] }, 'messages[1].tool_calls'],
    [{ model: 'm', messages: [user, { role: 'assistant', tool_calls: [{ id: 'c', function: { name: 5, arguments: '{}' } }] }] }, 'messages[1].tool_calls[0].function.name'],
    [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }, 'messages[0].content[0].text'],
    [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'u' }] }] }, 'messages[0].content[0].image_url'],
    [{ model: 'm', messages: [{ role: 'tool', content: 'r' }] }, 'messages[0].tool_call_id'],
    [{ model: 'm', messages: [user], tools: [{ type: 'function', function: 'f' }] }, 'tools[0].function'],
    [{ model: 'm', messages: [user], tool_choice: { type: 'function', function: { name: 1 } } }, 'tool_choice.function.name'],
    [{ model: 'm', messages: [user], stop: [1] }, 'stop[0]'],
    [{ model: 'm', messages: [user], user: 5 }, 'user'],
  ];
  for (const [body, param] of cases) {
    const result = validateChatRequest(body);
    assert.ok(!result.ok, JSON.stringify(body));
    assert.equal(result.problem.param, param, JSON.stringify(body));
  }
  // Part and tool types nobody here reads pass on as they are.
  assert.ok(validateChatRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'video_url', video_url: 5 }] }], tools: [{ type: 'web_search_20250305', name: 'w' }] }).ok);
});
