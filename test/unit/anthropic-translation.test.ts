import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/core/index.js';
import {
  chatCompletionToMessage, chatRequestToMessages, messagesRequestToChat, messageToChatCompletion,
  type AnthropicMessage, type AnthropicMessagesRequest, type ChatCompletion, type ChatCompletionRequest,
} from '../../src/protocol/index.js';

/** OpenAI ⇄ Anthropic request and response translation: one case per rule. */

const toAnthropic = (extra: Partial<ChatCompletionRequest>) =>
  chatRequestToMessages({ model: 'group', messages: [{ role: 'user', content: 'hi' }], ...extra }, { model: 'claude-up' });

const toOpenAI = (extra: Partial<AnthropicMessagesRequest>) =>
  messagesRequestToChat({ model: 'group', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }], ...extra });

const PNG = 'iVBORw0KGgo=';

describe('OpenAI chat request → Anthropic Messages request', () => {
  const cases: Array<[string, Partial<ChatCompletionRequest>, Partial<AnthropicMessagesRequest>]> = [
    ['the model is the upstream name and max_tokens defaults to 4096', {}, { model: 'claude-up', max_tokens: 4096, messages: [{ role: 'user', content: 'hi' }] }],
    ['max_tokens is kept', { max_tokens: 77 }, { max_tokens: 77 }],
    ['max_completion_tokens wins over max_tokens', { max_tokens: 77, max_completion_tokens: 88 }, { max_tokens: 88 }],
    ['one system message becomes the system string', { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] }, { system: 'be brief', messages: [{ role: 'user', content: 'hi' }] }],
    ['system and developer messages, wherever they are, become system blocks in order', {
      messages: [{ role: 'system', content: 'one' }, { role: 'user', content: 'hi' }, { role: 'developer', content: [{ type: 'text', text: 'two', cache_control: { type: 'ephemeral' } }] }],
    }, { system: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'hi' }] }],
    ['consecutive same-role messages are merged into one turn', {
      messages: [{ role: 'user', content: 'a' }, { role: 'user', content: [{ type: 'text', text: 'b' }] }, { role: 'assistant', content: 'c' }, { role: 'assistant', content: 'd' }],
    }, { messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, { role: 'assistant', content: [{ type: 'text', text: 'c' }, { type: 'text', text: 'd' }] }] }],
    ['text and image parts: base64 data URLs and http URLs', {
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'what is this' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
        { type: 'image_url', image_url: { url: 'https://example.test/cat.jpg', detail: 'high' } },
      ] }],
    }, { messages: [{ role: 'user', content: [
      { type: 'text', text: 'what is this' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
      { type: 'image', source: { type: 'url', url: 'https://example.test/cat.jpg' } },
    ] }] }],
    ['a PDF file part becomes a document block', {
      messages: [{ role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } }] }],
    }, { messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] }] }],
    ['tools become name / description / input_schema', {
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        { type: 'function', function: { name: 'ping' } },
      ],
    }, { tools: [
      { name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'ping', input_schema: { type: 'object', properties: {} } },
    ] }],
    ['tool_choice "auto"', { tool_choice: 'auto' }, { tool_choice: { type: 'auto' } }],
    ['tool_choice "required" is "any"', { tool_choice: 'required' }, { tool_choice: { type: 'any' } }],
    ['tool_choice "none"', { tool_choice: 'none' }, { tool_choice: { type: 'none' } }],
    ['tool_choice naming a function is "tool"', { tool_choice: { type: 'function', function: { name: 'f' } } }, { tool_choice: { type: 'tool', name: 'f' } }],
    ['parallel_tool_calls false disables parallel tool use', { tool_choice: 'required', parallel_tool_calls: false }, { tool_choice: { type: 'any', disable_parallel_tool_use: true } }],
    ['parallel_tool_calls false alone means auto without parallel use', { parallel_tool_calls: false }, { tool_choice: { type: 'auto', disable_parallel_tool_use: true } }],
    ['assistant tool_calls become tool_use blocks and tool messages tool_result blocks in one user turn', {
      messages: [
        { role: 'user', content: 'weather in Paris and Rome?' },
        { role: 'assistant', content: 'Looking.', tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ] },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24C' }] },
        { role: 'user', content: 'thanks' },
      ],
    }, { messages: [
      { role: 'user', content: 'weather in Paris and Rome?' },
      { role: 'assistant', content: [
        { type: 'text', text: 'Looking.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
      ] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
        { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '24C' }] },
        { type: 'text', text: 'thanks' },
      ] },
    ] }],
    ['an assistant message with null content and a tool call has no empty text block', {
      messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '' } }] }],
    }, { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }] }] }],
    ['stop as a string becomes stop_sequences', { stop: 'END' }, { stop_sequences: ['END'] }],
    ['stop as a list becomes stop_sequences', { stop: ['END', '###'] }, { stop_sequences: ['END', '###'] }],
    ['temperature and top_p are kept', { temperature: 0.2, top_p: 0.9 }, { temperature: 0.2, top_p: 0.9 }],
    ['user becomes metadata.user_id', { user: 'user-42' }, { metadata: { user_id: 'user-42' } }],
    ['stream is kept, stream_options is not sent', { stream: true, stream_options: { include_usage: true } }, { stream: true }],
    ['Anthropic-native top_k and thinking sent by an OpenAI caller pass on', { top_k: 5, thinking: { type: 'enabled', budget_tokens: 1024 } }, { top_k: 5, thinking: { type: 'enabled', budget_tokens: 1024 } }],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      const out = toAnthropic(input);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(out[key], value, key);
    });
  }

  test('fields Anthropic has no notion of are not sent (it would reject them)', () => {
    const out = toAnthropic({ seed: 1, frequency_penalty: 0.5, presence_penalty: 0.1, logit_bias: { 1: 2 }, store: true, stream_options: { include_usage: true }, n: 1, service_tier: 'auto' });
    assert.deepEqual(Object.keys(out).sort(), ['max_tokens', 'messages', 'model']);
  });

  describe('structured output: response_format becomes a forced tool (as LiteLLM does)', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const formatTool = (input_schema: Record<string, unknown>, description = 'Respond with a JSON object in this format. Call this tool to give your final answer.') => ({ name: 'json_tool_call', input_schema, description });
    const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } };
    const cases: Array<[string, Partial<ChatCompletionRequest>, Partial<AnthropicMessagesRequest>]> = [
      ['json_schema: the schema is the tool\'s input schema, and the tool is forced', { response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } } },
        { tools: [formatTool(schema)], tool_choice: { type: 'tool', name: 'json_tool_call' } }],
      ['json_schema with a description: it describes the tool', { response_format: { type: 'json_schema', json_schema: { name: 'city', description: 'A city.', schema } } },
        { tools: [formatTool(schema, 'A city.')], tool_choice: { type: 'tool', name: 'json_tool_call' } }],
      ['json_object: any object', { response_format: { type: 'json_object' } },
        { tools: [formatTool({ type: 'object', properties: {}, additionalProperties: true })], tool_choice: { type: 'tool', name: 'json_tool_call' } }],
      ['json_schema without a schema: any object', { response_format: { type: 'json_schema', json_schema: { name: 'x' } } },
        { tools: [formatTool({ type: 'object', properties: {}, additionalProperties: true })] }],
      ['beside the client\'s tools: added last, and some tool must be called', { response_format: { type: 'json_object' }, tools: [weather], parallel_tool_calls: false },
        { tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: {} } }, formatTool({ type: 'object', properties: {}, additionalProperties: true })], tool_choice: { type: 'any', disable_parallel_tool_use: true } }],
      ['beside a tool the client named: the client\'s choice stands', { response_format: { type: 'json_object' }, tools: [weather], tool_choice: { type: 'function', function: { name: 'get_weather' } } },
        { tool_choice: { type: 'tool', name: 'get_weather' } }],
      ['with extended thinking: not forced (Anthropic refuses forced tools while thinking)', { response_format: { type: 'json_schema', json_schema: { name: 'c', schema } }, thinking: { type: 'enabled', budget_tokens: 1024 } },
        { tools: [formatTool(schema)], tool_choice: undefined }],
      ['text: nothing changes', { response_format: { type: 'text' } }, { tools: undefined, tool_choice: undefined }],
    ];
    for (const [name, input, expected] of cases) {
      test(name, () => {
        const out = toAnthropic(input);
        for (const [key, value] of Object.entries(expected)) assert.deepEqual(out[key], value, key);
        assert.equal('response_format' in out, false, 'response_format itself is not sent');
      });
    }

    test('the answer: the format tool\'s input is the content as JSON text, and the turn ends with stop', () => {
      const message: AnthropicMessage = {
        id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-up', stop_reason: 'tool_use', stop_sequence: null,
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'json_tool_call', input: { city: 'Paris' } }],
        usage: { input_tokens: 3, output_tokens: 4 },
      };
      const completion = messageToChatCompletion(message, 1, true);
      assert.deepEqual(completion.choices[0]!.message, { role: 'assistant', content: '{"city":"Paris"}' });
      assert.equal(completion.choices[0]!.finish_reason, 'stop');
    });
  });

  const refusals: Array<[string, Partial<ChatCompletionRequest>, string]> = [
    ['n above 1', { n: 2 }, 'n'],
    ['logprobs', { logprobs: true }, 'logprobs'],
    ['a json_schema whose root is not an object', { response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'array' } } } }, 'response_format.json_schema.schema'],
    ['a response_format type Anthropic has no counterpart for', { response_format: { type: 'grammar' } }, 'response_format.type'],
    ['tool call arguments that are not JSON', { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"city":' } }] }] }, 'messages[1].tool_calls[0].function.arguments'],
    ['an audio part', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }] }] }, 'messages[0].content[0].type'],
    ['the legacy function role', { messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role'],
    ['a tool message without tool_call_id', { messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
    ['an image part in a system message', { messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages[0].content[0].type'],
  ];
  for (const [name, input, param] of refusals) {
    test(`refused with a 400 naming the field: ${name}`, () => {
      assert.throws(() => toAnthropic(input), (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.status, 400);
        assert.equal(error.param, param);
        assert.ok(error.message.startsWith(`${param}:`), error.message);
        return true;
      });
    });
  }
});

describe('Anthropic Message → OpenAI chat completion', () => {
  const message = (extra: Partial<AnthropicMessage>): AnthropicMessage => ({
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-up', content: [{ type: 'text', text: 'Hello' }],
    stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 3 }, ...extra,
  });

  const stops: Array<[AnthropicMessage['stop_reason'], string]> = [
    ['end_turn', 'stop'], ['stop_sequence', 'stop'], ['pause_turn', 'stop'], ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'], ['tool_use', 'tool_calls'], ['refusal', 'content_filter'],
  ];
  for (const [stop, finish] of stops) {
    test(`stop_reason ${stop} → finish_reason ${finish}`, () => {
      assert.equal(messageToChatCompletion(message({ stop_reason: stop })).choices[0]?.finish_reason, finish);
    });
  }

  test('text blocks join into content; the shape is a chat completion', () => {
    const out = messageToChatCompletion(message({ content: [{ type: 'text', text: 'Hel' }, { type: 'text', text: 'lo' }] }), 1_700_000_000);
    assert.deepEqual(out, {
      id: 'msg_1', object: 'chat.completion', created: 1_700_000_000, model: 'claude-up',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
  });

  test('tool_use blocks become tool_calls with JSON arguments, content null without text', () => {
    const out = messageToChatCompletion(message({
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }], stop_reason: 'tool_use',
    }));
    assert.deepEqual(out.choices[0]?.message, {
      role: 'assistant', content: null,
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    });
  });

  test('usage: cache reads and writes count into prompt_tokens and are surfaced in prompt_tokens_details', () => {
    const out = messageToChatCompletion(message({ usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 } }));
    assert.deepEqual(out.usage, {
      prompt_tokens: 130, completion_tokens: 5, total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 100, cache_creation_tokens: 20 },
      cache_read_input_tokens: 100, cache_creation_input_tokens: 20,
    });
  });

  test('thinking becomes reasoning_content, with the signed blocks kept to send back', () => {
    const thinking = { type: 'thinking', thinking: 'Let me think.', signature: 'sig' };
    const out = messageToChatCompletion(message({ content: [thinking, { type: 'text', text: 'Done' }] }));
    assert.equal(out.choices[0]?.message.reasoning_content, 'Let me think.');
    assert.deepEqual(out.choices[0]?.message.thinking_blocks, [thinking]);
    assert.equal(out.choices[0]?.message.content, 'Done');
    // …and sending them back puts them first in the assistant turn, as Anthropic requires.
    const back = toAnthropic({ messages: [{ role: 'user', content: 'q' }, out.choices[0]!.message as never, { role: 'user', content: 'more' }] });
    assert.deepEqual(back.messages[1], { role: 'assistant', content: [thinking, { type: 'text', text: 'Done' }] });
  });
});

describe('Anthropic Messages request → OpenAI chat request', () => {
  const cases: Array<[string, Partial<AnthropicMessagesRequest>, Partial<ChatCompletionRequest>]> = [
    ['model, messages and max_tokens', {}, { model: 'group', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }],
    ['the system string becomes the first message', { system: 'be brief' }, { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] }],
    ['system text blocks are joined', { system: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two', cache_control: { type: 'ephemeral' } }] }, { messages: [{ role: 'system', content: 'one\n\ntwo' }, { role: 'user', content: 'hi' }] }],
    ['text and image blocks become parts (base64 as a data URL, url as is)', {
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'what is this' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'image', source: { type: 'url', url: 'https://example.test/cat.jpg' } },
      ] }],
    }, { messages: [{ role: 'user', content: [
      { type: 'text', text: 'what is this' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
      { type: 'image_url', image_url: { url: 'https://example.test/cat.jpg' } },
    ] }] }],
    ['a single text block is sent as a string', { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }, { messages: [{ role: 'user', content: 'hi' }] }],
    ['assistant tool_use → tool_calls; tool_result blocks → tool messages before the user text', {
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: [{ type: 'text', text: 'Looking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18C' }] }, { type: 'text', text: 'and tomorrow?' }] },
      ],
    }, { messages: [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: 'Looking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
      { role: 'user', content: 'and tomorrow?' },
    ] }],
    ['an assistant turn of only tool_use has null content; thinking blocks are left out', {
      messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }, { type: 'tool_use', id: 't', name: 'f', input: {} }] }],
    }, { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] }] }],
    ['tools become function tools', { tools: [{ name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: {} } }] },
      { tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: {} } } }] }],
    ['tool_choice auto', { tool_choice: { type: 'auto' } }, { tool_choice: 'auto' }],
    ['tool_choice any is "required"', { tool_choice: { type: 'any' } }, { tool_choice: 'required' }],
    ['tool_choice none', { tool_choice: { type: 'none' } }, { tool_choice: 'none' }],
    ['tool_choice tool names the function', { tool_choice: { type: 'tool', name: 'f' } }, { tool_choice: { type: 'function', function: { name: 'f' } } }],
    ['disable_parallel_tool_use → parallel_tool_calls false', { tool_choice: { type: 'auto', disable_parallel_tool_use: true } }, { tool_choice: 'auto', parallel_tool_calls: false }],
    ['stop_sequences → stop', { stop_sequences: ['END'] }, { stop: ['END'] }],
    ['temperature and top_p', { temperature: 0.4, top_p: 0.8 }, { temperature: 0.4, top_p: 0.8 }],
    ['metadata.user_id → user', { metadata: { user_id: 'u-7' } }, { user: 'u-7' }],
    ['stream asks the upstream for usage', { stream: true }, { stream: true, stream_options: { include_usage: true } }],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      const out = toOpenAI(input);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(out[key], value, key);
    });
  }

  test('Anthropic-only fields are not sent to an OpenAI-compatible upstream', () => {
    const out = toOpenAI({ top_k: 3, thinking: { type: 'enabled', budget_tokens: 1000 }, container: 'c', service_tier: 'auto' });
    assert.deepEqual(Object.keys(out).sort(), ['max_tokens', 'messages', 'model']);
  });

  const refusals: Array<[string, Partial<AnthropicMessagesRequest>, string]> = [
    ['a server tool', { tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tools.0.type'],
    ['a search_result block', { messages: [{ role: 'user', content: [{ type: 'search_result', source: 's', title: 't', content: [] }] }] }, 'messages.0.content.0.type'],
    ['an image inside a tool result', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'url', url: 'x' } }] }] }] }, 'messages.0.content.0.content.0.type'],
    ['an image from the Files API', { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] }, 'messages.0.content.0.source.type'],
  ];
  for (const [name, input, param] of refusals) {
    test(`refused with a 400 naming the field: ${name}`, () => {
      assert.throws(() => toOpenAI(input), (error: unknown) => error instanceof GatewayError && error.status === 400 && error.param === param);
    });
  }
});

describe('OpenAI chat completion → Anthropic Message', () => {
  const completion = (message: ChatCompletion['choices'][number]['message'], finish: ChatCompletion['choices'][number]['finish_reason'] = 'stop', usage?: ChatCompletion['usage']): ChatCompletion => ({
    id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-up',
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: usage ?? { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
  });

  test('text becomes one text block; usage input/output', () => {
    assert.deepEqual(chatCompletionToMessage(completion({ role: 'assistant', content: 'Hello' })), {
      id: 'chatcmpl-1', type: 'message', role: 'assistant', model: 'gpt-up', content: [{ type: 'text', text: 'Hello' }],
      stop_reason: 'end_turn', stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  test('tool_calls become tool_use blocks with parsed input', () => {
    const out = chatCompletionToMessage(completion({
      role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
    }, 'tool_calls'));
    assert.deepEqual(out.content, [{ type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } }]);
    assert.equal(out.stop_reason, 'tool_use');
  });

  const finishes: Array<[ChatCompletion['choices'][number]['finish_reason'], string]> = [['stop', 'end_turn'], ['length', 'max_tokens'], ['tool_calls', 'tool_use'], ['function_call', 'tool_use'], ['content_filter', 'refusal']];
  for (const [finish, stop] of finishes) {
    test(`finish_reason ${finish} → stop_reason ${stop}`, () => {
      assert.equal(chatCompletionToMessage(completion({ role: 'assistant', content: 'x' }, finish)).stop_reason, stop);
    });
  }

  test('cached prompt tokens become cache_read_input_tokens, apart from input_tokens', () => {
    const out = chatCompletionToMessage(completion({ role: 'assistant', content: 'x' }, 'stop', { prompt_tokens: 100, completion_tokens: 2, total_tokens: 102, prompt_tokens_details: { cached_tokens: 64 } }));
    assert.deepEqual(out.usage, { input_tokens: 36, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 64 });
  });

  test('tool arguments from the upstream that are not JSON are an upstream error, not a silent {}', () => {
    assert.throws(
      () => chatCompletionToMessage(completion({ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }, 'length')),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_invalid_response',
    );
  });
});
