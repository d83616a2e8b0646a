import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChatToResponsesStream, encodeThinkingBlocks, ItemIds, responsesRequestToChat, type ResponsesRequest, type SseEvent,
} from '../../src/protocol/index.js';
import { GatewayError } from '../../src/core/index.js';

/** The Responses ⇄ chat translation, request by request and event by event. */

const chat = (request: Partial<ResponsesRequest>, target: 'anthropic' | 'chat' = 'chat', history = []) =>
  responsesRequestToChat({ model: 'm', ...request } as ResponsesRequest, { target, history });

describe('a Responses request as a chat request', () => {
  test('a turn of text, reasoning and calls becomes one assistant message; outputs become tool messages', () => {
    const blocks = [{ type: 'thinking', thinking: 't', signature: 'sig' }];
    const out = chat({
      instructions: 'Be terse.',
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'reasoning', summary: [], encrypted_content: encodeThinkingBlocks(blocks) },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Looking.' }] },
        { type: 'function_call', call_id: 'c1', name: 'get', arguments: '{"a":1}' },
        { type: 'function_call', call_id: 'c2', name: 'get', arguments: '{"a":2}' },
        { type: 'function_call_output', call_id: 'c1', output: 'one' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
      ],
    }, 'anthropic');
    assert.deepEqual(out.messages, [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant', content: 'Looking.', thinking_blocks: blocks,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get', arguments: '{"a":1}' } }, { id: 'c2', type: 'function', function: { name: 'get', arguments: '{"a":2}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
    ]);
  });

  test('the stored conversation comes first; item_reference finds its items', () => {
    const history = [{ type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'first' }] }] as never;
    const out = chat({ input: [{ type: 'item_reference', id: 'msg_1' }, { role: 'user', content: 'second' }] }, 'chat', history);
    assert.deepEqual(out.messages, [
      { role: 'user', content: [{ type: 'text', text: 'first' }] },
      { role: 'user', content: [{ type: 'text', text: 'first' }] },
      { role: 'user', content: 'second' },
    ]);
  });

  test('tools, tool_choice, text.format, sampling and streams in their chat forms', () => {
    const out = chat({
      input: 'x', stream: true, temperature: 0.5, top_p: 0.9, max_output_tokens: 99, parallel_tool_calls: false,
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
    });
    assert.deepEqual(out, {
      model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true },
      temperature: 0.5, top_p: 0.9, max_tokens: 99, parallel_tool_calls: false,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } },
    });
  });

  test('reasoning.effort: Claude\'s thinking budget (room kept for the answer), the chat API\'s reasoning_effort', () => {
    assert.deepEqual(chat({ input: 'x', reasoning: { effort: 'high' } }, 'anthropic').thinking, { type: 'enabled', budget_tokens: 4096 });
    assert.equal(chat({ input: 'x', reasoning: { effort: 'high' } }, 'anthropic').max_tokens, 8192);
    assert.equal(chat({ input: 'x', reasoning: { effort: 'low' } }).reasoning_effort, 'low');
    assert.equal(chat({ input: 'x', reasoning: { effort: 'minimal' } }, 'anthropic').thinking, undefined);
  });

  const refusals: Array<[string, Partial<ResponsesRequest>, string]> = [
    ['a built-in tool', { input: 'x', tools: [{ type: 'file_search' }] }, 'tools[0].type'],
    ['an unknown field', { input: 'x', frobnicate: true }, 'frobnicate'],
    ['background', { input: 'x', background: true }, 'background'],
    ['truncation auto', { input: 'x', truncation: 'auto' }, 'truncation'],
    ['an image by file id', { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] }, 'input[0].content[0].file_id'],
    ['an item type chat has no form for', { input: [{ type: 'web_search_call', id: 'ws' }] }, 'input[0].type'],
    ['an unknown item reference', { input: [{ type: 'item_reference', id: 'nope' }] }, 'input[0].id'],
    ['a text format chat has no form for', { input: 'x', text: { format: { type: 'grammar' } } }, 'text.format.type'],
    ['a budget above max_output_tokens', { input: 'x', max_output_tokens: 500, reasoning: { effort: 'low' } }, 'max_output_tokens'],
  ];
  for (const [what, request, param] of refusals) {
    test(`refused by name: ${what}`, () => {
      assert.throws(() => chat(request, 'anthropic'), (e: unknown) => e instanceof GatewayError && e.status === 400 && e.param === param);
    });
  }

  test('drop_params: the same fields are left out and named', () => {
    const dropped: string[] = [];
    const out = responsesRequestToChat({ model: 'm', input: 'x', tools: [{ type: 'file_search' }], background: true } as ResponsesRequest, { target: 'chat', dropUnsupported: true, dropped });
    assert.deepEqual(dropped.sort(), ['background', 'tools[0].type']);
    assert.equal(out.tools, undefined);
  });
});

const frame = () => ({ id: 'resp_test', createdAt: 1, request: { model: 'group', input: 'x' } as ResponsesRequest, ids: new ItemIds() });
const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({
  data: JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up-model', choices: [{ index: 0, delta, finish_reason: finish }], ...extra }),
});

function run(events: SseEvent[]): { types: string[]; parsed: Array<Record<string, unknown>> } {
  const translator = new ChatToResponsesStream(frame());
  const out = [...events.flatMap((e) => translator.push(e)), ...translator.end()];
  const parsed = out.map((e) => JSON.parse(e.data) as Record<string, unknown>);
  for (const [i, e] of out.entries()) assert.equal(e.event, parsed[i]!.type, 'the event name is its type');
  return { types: out.map((e) => e.event!), parsed };
}

describe('a chat stream as Responses events', () => {
  test('reasoning, text, then two tool calls whose arguments interleave: every item opened, filled, closed; numbered in order', () => {
    const { types, parsed } = run([
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'hmm' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '{"y"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":1}' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: ':2}' } }] }),
      chunk({}, 'tool_calls'),
      { data: JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up-model', choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }) },
    ]);
    assert.deepEqual(parsed.map((p) => p.sequence_number), parsed.map((_, i) => i));
    assert.deepEqual(types, [
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.output_item.added', 'response.function_call_arguments.delta',
      'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done', 'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    const response = parsed.at(-1)!.response as { model: string; output: Array<Record<string, unknown>>; usage: Record<string, unknown>; status: string };
    assert.equal(response.model, 'up-model');
    assert.equal(response.status, 'completed');
    assert.deepEqual(response.output.map((o) => o.type), ['reasoning', 'message', 'function_call', 'function_call']);
    assert.equal((response.output[1]!.content as Array<{ text: string }>)[0]!.text, 'Hello');
    assert.deepEqual(response.output.slice(2).map((o) => [o.call_id, o.name, o.arguments]), [['call_a', 'a', '{"x":1}'], ['call_b', 'b', '{"y":2}']]);
    assert.deepEqual(response.usage, { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 });
  });

  test('the spliced text path and the parsed one give the same events (layouts with and without spaces)', () => {
    const compact = run([chunk({ role: 'assistant', content: '' }), chunk({ content: 'a "quoted"\\n é' }), chunk({}, 'stop')]);
    const spaced = run([
      chunk({ role: 'assistant', content: '' }),
      { data: '{"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "up-model", "choices": [{"index": 0, "delta": {"content": "a \\"quoted\\"\\\\n \\u00e9"}, "finish_reason": null}]}' },
      chunk({}, 'stop'),
    ]);
    const strip = (events: Array<Record<string, unknown>>) => events.map(({ response: _r, item_id: _i, item: _it, ...rest }) => rest);
    assert.deepEqual(strip(compact.parsed), strip(spaced.parsed));
    assert.equal(compact.parsed.find((p) => p.type === 'response.output_text.done')!.text, 'a "quoted"\\n é');
  });

  test('finish_reason length: response.incomplete, the message incomplete too', () => {
    const { parsed } = run([chunk({ content: 'cut' }), chunk({}, 'length')]);
    const last = parsed.at(-1)! as { type: string; response: { status: string; incomplete_details: unknown; output: Array<{ status: string }> } };
    assert.equal(last.type, 'response.incomplete');
    assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(last.response.output[0]!.status, 'incomplete');
  });
});
