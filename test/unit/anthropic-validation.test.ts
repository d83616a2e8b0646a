import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateMessagesRequest } from '../../src/protocol/index.js';

/** Anthropic Messages validation: every violation names its field the way Anthropic does. */

const base = { model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
const withMessages = (messages: unknown[]) => ({ ...base, messages });
const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} };

test('a valid request passes as the same object, unknown fields and pass-through block types kept', () => {
  const body = {
    ...base,
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'see', cache_control: { type: 'ephemeral' } }, { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }, toolUse] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'ok' }, { type: 'search_result', source: 's', title: 't', content: [] }] }] },
    ],
    system: [{ type: 'text', text: 'be brief' }],
    tools: [{ name: 'f', input_schema: { type: 'object' } }, { type: 'web_search_20250305', name: 'web_search' }],
    tool_choice: { type: 'tool', name: 'f' },
    container: 'some-new-field',
    metadata: { user_id: 'u1' },
  };
  const result = validateMessagesRequest(body);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problem));
  assert.equal(result.value, body);
});

test('each violation names its field', () => {
  const cases: Array<[string, unknown, string, RegExp?]> = [
    ['missing max_tokens', { model: 'claude', messages: base.messages }, 'max_tokens', /Field required/],
    ['max_tokens zero', { ...base, max_tokens: 0 }, 'max_tokens', /at least 1/],
    ['max_tokens fractional', { ...base, max_tokens: 1.5 }, 'max_tokens', /whole number/],
    ['missing model', { max_tokens: 5, messages: base.messages }, 'model', /Field required/],
    ['missing messages', { model: 'claude', max_tokens: 5 }, 'messages', /Field required/],
    ['OpenAI role', withMessages([{ role: 'tool', content: 'x' }]), 'messages.0.role', /"tool"/],
    ['content a number', withMessages([{ role: 'user', content: 5 }]), 'messages.0.content'],
    ['OpenAI part type', withMessages([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }]), 'messages.0.content.0.type', /unknown content block type "image_url"/],
    ['block without type', withMessages([{ role: 'user', content: [{ text: 'x' }] }]), 'messages.0.content.0.type', /Field required/],
    ['block not an object', withMessages([{ role: 'user', content: ['x'] }]), 'messages.0.content.0'],
    ['text not a string', withMessages([{ role: 'user', content: [{ type: 'text', text: 5 }] }]), 'messages.0.content.0.text'],
    ['image without source', withMessages([{ role: 'user', content: [{ type: 'image' }] }]), 'messages.0.content.0.source', /Field required/],
    ['image source type', withMessages([{ role: 'user', content: [{ type: 'image', source: { type: 'path' } }] }]), 'messages.0.content.0.source.type'],
    ['tool_use without input', withMessages([base.messages[0], { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f' }] }]), 'messages.1.content.0.input', /Field required/],
    ['tool_result without id', withMessages([{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }]), 'messages.0.content.0.tool_use_id'],
    ['tool_result inner block', withMessages([{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: [{ type: 'bogus' }] }] }]), 'messages.0.content.0.content.0.type'],
    ['system a number', { ...base, system: 5 }, 'system'],
    ['system block not text', { ...base, system: [{ type: 'image', source: { type: 'url', url: 'x' } }] }, 'system.0.type'],
    ['stop_sequences a string', { ...base, stop_sequences: 'END' }, 'stop_sequences'],
    ['stream a string', { ...base, stream: 'yes' }, 'stream'],
    ['temperature a string', { ...base, temperature: 'hot' }, 'temperature'],
    ['tool without name', { ...base, tools: [{ input_schema: {} }] }, 'tools.0.name', /Field required/],
    ['tool_choice tool without name', { ...base, tool_choice: { type: 'tool' } }, 'tool_choice.name'],
    ['tool_choice bogus', { ...base, tool_choice: { type: 'sometimes' } }, 'tool_choice.type'],
  ];
  for (const [name, body, param, message] of cases) {
    const result = validateMessagesRequest(body);
    assert.ok(!result.ok, `${name}: accepted`);
    assert.equal(result.problem.param, param, name);
    if (message) assert.match(result.problem.message, message, name);
  }
});

test('a body that is not an object is refused', () => {
  for (const body of [undefined, null, 'text', [base]]) {
    const result = validateMessagesRequest(body);
    assert.ok(!result.ok);
    assert.match(result.problem.message, /JSON object/);
  }
});
