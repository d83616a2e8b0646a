import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/core/index.js';
import {
  AnthropicToOpenAIStream, chatCompletionToMessage, messageToChatCompletion, OpenAIToAnthropicStream,
  type AnthropicMessage, type ChatCompletion, type EventTranslator, type SseEvent,
} from '../../src/protocol/index.js';
import { anthropicStreamEvents, type FakeAnthropicMessage } from '../support/fake-upstream.js';

/**
 * The stream translators, event by event. The strongest check is agreement: a stream translated
 * and then accumulated must equal the non-streaming translation of the same answer.
 */

function run(translator: EventTranslator, events: SseEvent[]): SseEvent[] {
  return [...events.flatMap((e) => translator.push(e)), ...translator.end()];
}

const asSse = (events: Array<{ event?: string; data: object }>): SseEvent[] =>
  events.map((e) => (e.event === undefined ? { data: JSON.stringify(e.data) } : { event: e.event, data: JSON.stringify(e.data) }));

/** What an OpenAI client makes of chunks: the message, finish reason and usage. */
function accumulateChunks(events: SseEvent[]) {
  const out = { content: '', reasoning: '', toolCalls: [] as Array<{ id: string; name: string; arguments: string }>, finish: null as string | null, usage: undefined as unknown, chunks: 0 };
  for (const event of events) {
    const chunk = JSON.parse(event.data) as { choices: Array<{ delta: { content?: string; reasoning_content?: string; tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }> }; finish_reason: string | null }>; usage?: unknown };
    out.chunks++;
    if (chunk.usage) out.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    out.content += choice.delta.content ?? '';
    out.reasoning += choice.delta.reasoning_content ?? '';
    for (const call of choice.delta.tool_calls ?? []) {
      const slot = (out.toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.name = call.function.name;
      slot.arguments += call.function?.arguments ?? '';
    }
    if (choice.finish_reason) out.finish = choice.finish_reason;
  }
  return out;
}

interface EventData {
  type: string;
  index: number;
  message: AnthropicMessage;
  content_block: AnthropicMessage['content'][number];
  delta: { type: string; text?: string; thinking?: string; partial_json?: string; stop_reason?: string; stop_sequence?: string | null };
  usage: Record<string, unknown>;
}

/** What an Anthropic client makes of events, checking the order rules the SDK relies on. */
function accumulateEvents(events: SseEvent[]): AnthropicMessage {
  let message: AnthropicMessage | undefined;
  const open = new Set<number>();
  const json = new Map<number, string>();
  events.forEach((event, i) => {
    const data = JSON.parse(event.data) as EventData;
    assert.equal(event.event, data.type, `event ${i} is named after its type`);
    if (i === 0) assert.equal(data.type, 'message_start');
    if (i === events.length - 1) assert.equal(data.type, 'message_stop');
    switch (data.type) {
      case 'message_start': message = structuredClone(data.message); break;
      case 'content_block_start':
        assert.equal(data.index, message!.content.length, 'blocks start in index order');
        open.add(data.index);
        message!.content.push(structuredClone(data.content_block));
        break;
      case 'content_block_delta': {
        assert.ok(open.has(data.index), `delta for open block ${data.index}`);
        const block = message!.content[data.index] as Record<string, unknown>;
        if (data.delta.type === 'text_delta') block.text = `${block.text as string}${data.delta.text}`;
        else if (data.delta.type === 'thinking_delta') block.thinking = `${block.thinking as string}${data.delta.thinking}`;
        else if (data.delta.type === 'input_json_delta') json.set(data.index, (json.get(data.index) ?? '') + data.delta.partial_json);
        break;
      }
      case 'content_block_stop':
        assert.ok(open.delete(data.index), `stop for open block ${data.index}`);
        if (json.has(data.index)) (message!.content[data.index] as Record<string, unknown>).input = JSON.parse(json.get(data.index)!);
        break;
      case 'message_delta':
        assert.equal(open.size, 0, 'every block is closed before message_delta');
        message!.stop_reason = data.delta.stop_reason as AnthropicMessage['stop_reason'];
        message!.stop_sequence = data.delta.stop_sequence ?? null;
        for (const [key, value] of Object.entries(data.usage)) if (value != null) message!.usage[key] = value;
        break;
    }
  });
  return message!;
}

const answer = (content: FakeAnthropicMessage['content'], extra: Partial<FakeAnthropicMessage> = {}): FakeAnthropicMessage => ({
  id: 'msg_s1', type: 'message', role: 'assistant', model: 'claude-up', content, stop_reason: 'end_turn', stop_sequence: null,
  usage: { input_tokens: 21, output_tokens: 9, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, ...extra,
});

describe('Anthropic SSE → OpenAI chunks', () => {
  const cases: Array<[string, FakeAnthropicMessage]> = [
    ['text in several deltas', answer([{ type: 'text', text: 'The quick brown fox jumps' }])],
    ['text, then two tool calls whose input arrives as input_json_delta pieces', answer([
      { type: 'text', text: 'Checking both.' },
      { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris', unit: 'C' } },
      { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
    ], { stop_reason: 'tool_use' })],
    ['thinking, then text, with cache usage', answer([{ type: 'thinking', thinking: 'Hmm.', signature: 'sig' }, { type: 'text', text: 'Yes.' }], {
      usage: { input_tokens: 5, output_tokens: 2, cache_read_input_tokens: 300, cache_creation_input_tokens: 40 },
    })],
    ['cut short by max_tokens', answer([{ type: 'text', text: 'It was the best of' }], { stop_reason: 'max_tokens' })],
  ];
  for (const [name, message] of cases) {
    test(`${name}: the streamed result equals the non-streaming translation`, () => {
      const chunks = run(new AnthropicToOpenAIStream({ includeUsage: true, created: 7 }), asSse(anthropicStreamEvents(message, 4)));
      const got = accumulateChunks(chunks);
      const want = messageToChatCompletion(message as AnthropicMessage, 7);
      const wantMessage = want.choices[0]!.message;
      assert.equal(got.content, wantMessage.content ?? '');
      assert.equal(got.reasoning, (wantMessage.reasoning_content as string | undefined) ?? '');
      assert.deepEqual(got.toolCalls, (wantMessage.tool_calls ?? []).map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })));
      assert.equal(got.finish, want.choices[0]!.finish_reason);
      assert.deepEqual(got.usage, want.usage);
      for (const event of chunks) {
        const chunk = JSON.parse(event.data) as ChatCompletion;
        assert.equal(chunk.object, 'chat.completion.chunk');
        assert.equal(chunk.id, 'msg_s1');
        assert.equal(chunk.model, 'claude-up');
        assert.equal(event.event, undefined, 'OpenAI chunks are data-only events');
      }
    });
  }

  const jsonCases: Array<[string, FakeAnthropicMessage, { content: string; finish: string; tools: number }]> = [
    ['the format tool alone', answer([{ type: 'tool_use', id: 'toolu_j', name: 'json_tool_call', input: { city: 'Paris', temps: [1, 2] } }], { stop_reason: 'tool_use' }),
      { content: '{"city":"Paris","temps":[1,2]}', finish: 'stop', tools: 0 }],
    ['text before the format tool (thinking on: the call is not forced)', answer([
      { type: 'thinking', thinking: 'Let me fill it.', signature: 'sig' },
      { type: 'text', text: 'Here is the JSON:' },
      { type: 'tool_use', id: 'toolu_j', name: 'json_tool_call', input: { ok: true } },
    ], { stop_reason: 'tool_use' }), { content: '{"ok":true}', finish: 'stop', tools: 0 }],
    ['the format tool beside a client tool', answer([
      { type: 'tool_use', id: 'toolu_w', name: 'get_weather', input: { city: 'Rome' } },
      { type: 'tool_use', id: 'toolu_j', name: 'json_tool_call', input: { partial: 'yes' } },
    ], { stop_reason: 'tool_use' }), { content: '{"partial":"yes"}', finish: 'tool_calls', tools: 1 }],
    ['a model that answered in prose', answer([{ type: 'text', text: 'I cannot fill that in.' }]), { content: 'I cannot fill that in.', finish: 'stop', tools: 0 }],
    ['the format tool called with no input', answer([{ type: 'tool_use', id: 'toolu_j', name: 'json_tool_call', input: {} }], { stop_reason: 'tool_use' }),
      { content: '{}', finish: 'stop', tools: 0 }],
    ['cut short by max_tokens inside the JSON', answer([{ type: 'tool_use', id: 'toolu_j', name: 'json_tool_call', input: { a: 'b' } }], { stop_reason: 'max_tokens' }),
      { content: '{"a":"b"}', finish: 'length', tools: 0 }],
  ];
  for (const [name, message, expected] of jsonCases) {
    test(`structured output, ${name}: the format tool's input is the content, streamed as in the JSON answer`, () => {
      const chunks = run(new AnthropicToOpenAIStream({ includeUsage: true, created: 7, jsonAnswer: true }), asSse(anthropicStreamEvents(message, 3)));
      const got = accumulateChunks(chunks);
      const want = messageToChatCompletion(message as AnthropicMessage, 7, true);
      const wantMessage = want.choices[0]!.message;
      assert.equal(wantMessage.content, expected.content);
      assert.equal(want.choices[0]!.finish_reason, expected.finish);
      assert.equal(wantMessage.tool_calls?.length ?? 0, expected.tools);
      assert.equal(got.content, expected.content);
      assert.equal(got.finish, expected.finish);
      assert.deepEqual(got.toolCalls, (wantMessage.tool_calls ?? []).map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })));
      assert.deepEqual(got.usage, want.usage);
    });
  }

  test('without a JSON response_format, a tool named json_tool_call is an ordinary tool call', () => {
    const message = jsonCases[0]![1];
    const got = accumulateChunks(run(new AnthropicToOpenAIStream({ includeUsage: false }), asSse(anthropicStreamEvents(message))));
    assert.equal(got.content, '');
    assert.equal(got.toolCalls[0]?.name, 'json_tool_call');
    assert.equal(messageToChatCompletion(message as AnthropicMessage).choices[0]!.finish_reason, 'tool_calls');
  });

  test('the first chunk carries the role; tool-call chunks index tool calls, not blocks', () => {
    const chunks = run(new AnthropicToOpenAIStream({ includeUsage: false }), asSse(anthropicStreamEvents(cases[1]![1], 1))).map((e) => JSON.parse(e.data));
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    const starts = chunks.filter((c) => c.choices[0]?.delta.tool_calls?.[0]?.id);
    assert.deepEqual(starts.map((c) => c.choices[0].delta.tool_calls[0]), [
      { index: 0, id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 1, id: 'toolu_b', type: 'function', function: { name: 'get_weather', arguments: '' } },
    ]);
  });

  test('usage only when asked: no usage field at all without include_usage', () => {
    const chunks = run(new AnthropicToOpenAIStream({ includeUsage: false }), asSse(anthropicStreamEvents(cases[0]![1])));
    assert.ok(chunks.every((e) => !('usage' in JSON.parse(e.data))));
    const withUsage = run(new AnthropicToOpenAIStream({ includeUsage: true }), asSse(anthropicStreamEvents(cases[0]![1]))).map((e) => JSON.parse(e.data));
    assert.deepEqual(withUsage.at(-1).choices, []);
    assert.ok(withUsage.slice(0, -1).every((c) => c.usage === null));
  });

  test('usage counters in message_delta replace those of message_start', () => {
    const events = asSse(anthropicStreamEvents(answer([{ type: 'text', text: 'x' }])));
    const delta = JSON.parse(events.at(-2)!.data);
    delta.usage = { output_tokens: 50, input_tokens: 30, cache_read_input_tokens: 10 };
    events[events.length - 2] = { event: 'message_delta', data: JSON.stringify(delta) };
    const usage = accumulateChunks(run(new AnthropicToOpenAIStream({ includeUsage: true }), events)).usage as Record<string, number>;
    assert.equal(usage.prompt_tokens, 40);
    assert.equal(usage.completion_tokens, 50);
  });

  test('an error event mid-stream is raised with its message and type', () => {
    const translator = new AnthropicToOpenAIStream({ includeUsage: false, label: 'deployment c/1' });
    translator.push({ event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'm', model: 'c', usage: {} } }) });
    assert.throws(
      () => translator.push({ event: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' }),
      (error: unknown) => error instanceof GatewayError && error.message === 'deployment c/1 failed mid-stream: Overloaded' && error.type === 'overloaded_error',
    );
  });

  test('a stream that ends before message_stop is an error, not a quiet truncation', () => {
    const events = asSse(anthropicStreamEvents(answer([{ type: 'text', text: 'half' }]))).slice(0, 4);
    const translator = new AnthropicToOpenAIStream({ includeUsage: false });
    for (const event of events) translator.push(event);
    assert.throws(() => translator.end(), /before message_stop/);
  });

  test('text deltas in Anthropic\'s exact layout (spliced as they came) and in any other layout give the same chunk', () => {
    const texts = ['plain', 'with "quotes" and a \\ backslash', 'new\nline\ttab', 'emoji 🦊, \u2028 and \u0001', ''];
    for (const text of texts) {
      const exact = JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
      const other = JSON.stringify({ index: 0, type: 'content_block_delta', delta: { text, type: 'text_delta' } });
      const [fast] = new AnthropicToOpenAIStream({ includeUsage: true, created: 1 }).push({ event: 'content_block_delta', data: exact });
      const [general] = new AnthropicToOpenAIStream({ includeUsage: true, created: 1 }).push({ event: 'content_block_delta', data: other });
      assert.deepEqual(JSON.parse(fast!.data), JSON.parse(general!.data), JSON.stringify(text));
      assert.equal(JSON.parse(fast!.data).choices[0].delta.content, text);
    }
    // A literal JSON would refuse is never spliced: it fails as not JSON.
    const invalid = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bad \\q"}}';
    assert.throws(() => new AnthropicToOpenAIStream({ includeUsage: false }).push({ data: invalid }), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_invalid_response');
  });

  test('an event that is not JSON is an upstream_invalid_response', () => {
    assert.throws(() => new AnthropicToOpenAIStream({ includeUsage: false }).push({ event: 'x', data: '<html>' }), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_invalid_response');
  });
});

describe('OpenAI chunks → Anthropic SSE', () => {
  const base = { id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-up' };
  const chunk = (delta: object, finish: string | null = null) => ({ data: { ...base, choices: [{ index: 0, delta, finish_reason: finish }] } });
  const usage = (prompt: number, completion: number, cached = 0) => ({ data: { ...base, choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } } } });

  const cases: Array<[string, Array<{ data: object }>, ChatCompletion]> = [
    ['text', [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop'), usage(12, 2)], {
      ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
    }],
    ['text then two tool calls with argument deltas', [
      chunk({ role: 'assistant', content: 'On it.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      usage(40, 17, 32),
    ], {
      ...base, object: 'chat.completion', choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: 'On it.', tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ] } }], usage: { prompt_tokens: 40, completion_tokens: 17, total_tokens: 57, prompt_tokens_details: { cached_tokens: 32 } },
    }],
    ['cut short by length, servers that repeat the tool id on every delta', [
      chunk({ tool_calls: [{ index: 0, id: 'call_r', function: { name: 'f', arguments: '{"a"' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 'call_r', function: { arguments: ':1}' } }] }),
      chunk({}, 'length'),
    ], {
      ...base, object: 'chat.completion', choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_r', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] } }],
    }],
  ];
  for (const [name, chunks, completion] of cases) {
    test(`${name}: the accumulated message equals the non-streaming translation`, () => {
      const events = run(new OpenAIToAnthropicStream({ model: 'fallback' }), asSse(chunks));
      const got = accumulateEvents(events);
      const want = chatCompletionToMessage(completion);
      assert.deepEqual(got.content, want.content);
      assert.equal(got.stop_reason, want.stop_reason);
      assert.equal(got.id, 'chatcmpl-9');
      assert.equal(got.model, 'gpt-up');
      assert.equal(got.usage.input_tokens, want.usage.input_tokens);
      assert.equal(got.usage.output_tokens, want.usage.output_tokens);
      assert.equal(got.usage.cache_read_input_tokens, want.usage.cache_read_input_tokens);
    });
  }

  test('the event sequence is the one Anthropic sends', () => {
    const names = run(new OpenAIToAnthropicStream({ model: 'm' }), asSse(cases[1]![1])).map((e) => e.event);
    assert.deepEqual(names, [
      'message_start',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
  });

  test('text chunks read without JSON.parse give exactly what the general path gives, whatever else a chunk holds', () => {
    const openaiLayout = (content: string, extra: object = {}) => ({
      id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-up', service_tier: 'default', system_fingerprint: 'fp_1',
      choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], usage: null, obfuscation: 'x1', ...extra,
    });
    const mockLayout = (content: string) => ({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null, logprobs: null }] });
    const texts = ['plain', 'with "quotes" and a \\ backslash', 'new\nline', 'emoji 🦊, \u2028 and \u0001', ''];
    const chunks: object[] = [openaiLayout('Start. ')];
    for (const text of texts) chunks.push(openaiLayout(text), mockLayout(text));
    // Decoys: each carries something besides text that must not be lost.
    chunks.push(
      { ...base, choices: [{ index: 0, delta: { content: 'and a call', tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, finish_reason: null }] },
      openaiLayout('more', { usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } }),
      { ...base, choices: [{ index: 0, delta: { content: 'last' }, finish_reason: 'tool_calls' }] },
    );
    const compact = run(new OpenAIToAnthropicStream({ model: 'm' }), chunks.map((c) => ({ data: JSON.stringify(c) })));
    // Indented JSON never matches the fast pattern: this run takes the general path throughout.
    const general = run(new OpenAIToAnthropicStream({ model: 'm' }), chunks.map((c) => ({ data: JSON.stringify(c, null, 1) })));
    assert.deepEqual(compact.map((e) => JSON.parse(e.data)), general.map((e) => JSON.parse(e.data)));
    const message = accumulateEvents(compact);
    assert.equal((message.content[0] as { text: string }).text, `Start. ${texts.map((t) => t + t).join('')}and a call`);
    assert.deepEqual(message.content[1], { type: 'tool_use', id: 'c1', name: 'f', input: {} });
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.output_tokens, 4);
  });

  test('reasoning_content from compatible servers becomes a thinking block', () => {
    const events = run(new OpenAIToAnthropicStream({ model: 'm' }), asSse([chunk({ reasoning_content: 'Think' }), chunk({ content: 'Answer' }), chunk({}, 'stop')]));
    assert.deepEqual(accumulateEvents(events).content, [{ type: 'thinking', thinking: 'Think', signature: '' }, { type: 'text', text: 'Answer' }]);
  });

  test('a chunk whose choice or tool calls have the wrong shape is the upstream\'s invalid response, not a bug', () => {
    for (const data of [{ ...base, choices: [null] }, { ...base, choices: [{ index: 0, delta: { tool_calls: 5 } }] }, { ...base, choices: [{ index: 0, delta: { tool_calls: [null] } }] }]) {
      assert.throws(() => new OpenAIToAnthropicStream({ model: 'm', label: 'up' }).push({ data: JSON.stringify(data) }), (e: unknown) =>
        e instanceof GatewayError && e.code === 'upstream_invalid_response' && e.origin === 'upstream' && /up sent a stream chunk/.test(e.message), JSON.stringify(data));
    }
    assert.doesNotThrow(() => new OpenAIToAnthropicStream({ model: 'm' }).push({ data: JSON.stringify({ ...base, choices: [{ index: 0, delta: null }] }) }));
  });

  test('an empty upstream stream still yields a complete, valid message', () => {
    const message = accumulateEvents(run(new OpenAIToAnthropicStream({ model: 'fallback' }), []));
    assert.equal(message.model, 'fallback');
    assert.deepEqual(message.content, []);
    assert.equal(message.stop_reason, 'end_turn');
  });

  test('round trip: Anthropic events → OpenAI chunks → Anthropic events keep text and tool input', () => {
    const original = answer([{ type: 'text', text: 'Checking the weather now' }, { type: 'tool_use', id: 'toolu_x', name: 'get_weather', input: { city: 'Oslo', days: [1, 2] } }], { stop_reason: 'tool_use' });
    const chunks = run(new AnthropicToOpenAIStream({ includeUsage: true }), asSse(anthropicStreamEvents(original, 5)));
    const back = accumulateEvents(run(new OpenAIToAnthropicStream({ model: 'm' }), chunks));
    assert.deepEqual(back.content, original.content);
    assert.equal(back.stop_reason, 'tool_use');
    assert.equal(back.usage.output_tokens, original.usage.output_tokens);
    assert.equal(back.usage.input_tokens, original.usage.input_tokens);
  });
});
