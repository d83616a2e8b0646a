import { GatewayError, upstreamFailure } from '../core/index.js';
import { anthropicUsageOf, stopReasonOf } from './anthropic-mapping.js';
import type {
  AnthropicContentBlock, AnthropicMessage, AnthropicMessageParam, AnthropicMessagesRequest, AnthropicTextBlock,
  AnthropicTool, AnthropicToolChoice, AnthropicToolUseBlock,
} from './anthropic-types.js';
import type { ChatCompletion, ChatCompletionRequest, ChatMessage, ContentPart } from './openai.js';
import { responseFormatTool, responseFormatToolChoice, thinkingEnabled } from './structured-output.js';

/**
 * OpenAI → Anthropic: a chat completions request becomes a Messages request (for `anthropic/`
 * deployments), and a chat completion becomes a Message (for `/v1/messages` on OpenAI-compatible
 * deployments). A response_format asking for JSON becomes a forced tool (structured-output.ts).
 * What cannot be expressed is refused with a 400 naming the field, never dropped
 * quietly; sampling hints Anthropic has no notion of (seed, penalties, logit_bias) are left out.
 */

/** Anthropic requires max_tokens; LiteLLM sends this when the caller gives none. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/** Anthropic-native fields an OpenAI caller may send (as extra body) that are passed on as they are. */
const NATIVE_PASSTHROUGH = ['top_k', 'thinking'] as const;

export interface ChatToMessagesOptions {
  /** The upstream model name. */
  model: string;
  defaultMaxTokens?: number;
}

export function chatRequestToMessages(request: ChatCompletionRequest, options: ChatToMessagesOptions): AnthropicMessagesRequest {
  refuseInexpressible(request);
  const { system, turns } = convertMessages(request.messages);
  const out: AnthropicMessagesRequest = {
    model: options.model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? options.defaultMaxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
    messages: turns,
  };
  if (system.length > 0) out.system = system.length === 1 && isPlainText(system[0]!) ? system[0]!.text : system;
  if (typeof request.temperature === 'number') out.temperature = request.temperature;
  if (typeof request.top_p === 'number') out.top_p = request.top_p;
  const stop = request.stop;
  if (typeof stop === 'string') out.stop_sequences = [stop];
  else if (Array.isArray(stop) && stop.length > 0) out.stop_sequences = stop;
  const ownTools = Array.isArray(request.tools) && request.tools.length > 0 ? request.tools.map(convertTool) : [];
  let choice = convertToolChoice(request.tool_choice, request.parallel_tool_calls);
  const formatTool = responseFormatTool(request.response_format);
  if (formatTool !== undefined) choice = responseFormatToolChoice(choice, ownTools.length > 0, thinkingEnabled(request.thinking));
  const tools = formatTool === undefined ? ownTools : [...ownTools, formatTool];
  if (tools.length > 0) out.tools = tools;
  if (choice !== undefined) out.tool_choice = choice;
  if (typeof request.user === 'string' && request.user !== '') out.metadata = { user_id: request.user };
  if (request.stream === true) out.stream = true;
  for (const key of NATIVE_PASSTHROUGH) if (request[key] != null) (out as Record<string, unknown>)[key] = request[key];
  return out;
}

function refuseInexpressible(request: ChatCompletionRequest): void {
  if (typeof request.n === 'number' && request.n > 1) throw refuse('n', 'anthropic/ deployments return one choice; n must be 1');
  if (request.logprobs === true) throw refuse('logprobs', 'anthropic/ deployments do not return logprobs');
  const format = (request.response_format as { type?: unknown } | null | undefined)?.type;
  if (format != null && format !== 'text' && format !== 'json_object' && format !== 'json_schema') {
    throw refuse('response_format.type', `response_format "${String(format)}" is not supported by anthropic/ deployments; use json_schema, json_object or text`);
  }
}

function refuse(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${message}`, { param });
}

// ---------------------------------------------------------------------------------------------
// Messages

function convertMessages(messages: ChatMessage[]): { system: AnthropicTextBlock[]; turns: AnthropicMessageParam[] } {
  const system: AnthropicTextBlock[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: AnthropicContentBlock[] }> = [];
  // Anthropic wants strictly alternating turns: neighbours with the same role become one turn.
  const append = (role: 'user' | 'assistant', blocks: AnthropicContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  messages.forEach((message, i) => {
    const where = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocksOf(message.content, `${where}.content`));
        break;
      case 'user':
        append('user', userBlocks(message.content, `${where}.content`));
        break;
      case 'assistant':
        append('assistant', assistantBlocks(message, where));
        break;
      case 'tool':
        append('user', [toolResultBlock(message, where)]);
        break;
      default:
        throw refuse(`${where}.role`, `role "${String(message.role)}" is not supported by anthropic/ deployments; use tools and tool messages`);
    }
  });
  return { system, turns: turns.map((t) => ({ role: t.role, content: collapse(t.content) })) };
}

/** One plain text block reads better as a string; the meaning is the same. */
function collapse(blocks: AnthropicContentBlock[]): string | AnthropicContentBlock[] {
  return blocks.length === 1 && isPlainText(blocks[0]!) ? blocks[0].text : blocks;
}

function isPlainText(block: AnthropicContentBlock): block is AnthropicTextBlock {
  return block.type === 'text' && Object.keys(block).length === 2;
}

function textBlocksOf(content: ChatMessage['content'], where: string): AnthropicTextBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map((part, j) => {
    if (part.type !== 'text' || typeof part.text !== 'string') throw refuse(`${where}[${j}].type`, 'only text parts are allowed here');
    return textBlock(part);
  });
}

function textBlock(part: ContentPart): AnthropicTextBlock {
  const block: AnthropicTextBlock = { type: 'text', text: part.text as string };
  if (part.cache_control != null) block.cache_control = part.cache_control as AnthropicTextBlock['cache_control'];
  return block;
}

function userBlocks(content: ChatMessage['content'], where: string): AnthropicContentBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part, j) => userBlock(part, `${where}[${j}]`));
}

function userBlock(part: ContentPart, where: string): AnthropicContentBlock {
  let block: AnthropicContentBlock;
  if (part.type === 'text' && typeof part.text === 'string') return textBlock(part);
  if (part.type === 'image_url') {
    const url = (part.image_url as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string') throw refuse(`${where}.image_url.url`, 'expected a URL string');
    block = { type: 'image', source: sourceOf(url) };
  } else if (part.type === 'file') {
    const data = (part.file as { file_data?: unknown } | undefined)?.file_data;
    if (typeof data !== 'string' || !data.startsWith('data:')) throw refuse(`${where}.file`, 'anthropic/ deployments take files as file_data data URLs (file_id is OpenAI-only)');
    block = { type: 'document', source: sourceOf(data) };
  } else {
    throw refuse(`${where}.type`, `content part type "${String(part.type)}" is not supported by anthropic/ deployments`);
  }
  if (part.cache_control != null) block.cache_control = part.cache_control;
  return block;
}

/** `data:image/png;base64,AAAA` → a base64 source; anything else is a URL Anthropic fetches itself. */
function sourceOf(url: string): { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } {
  const match = /^data:([^;,]+);base64,/.exec(url);
  if (match) return { type: 'base64', media_type: match[1]!, data: url.slice(match[0].length) };
  return { type: 'url', url };
}

function assistantBlocks(message: ChatMessage, where: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  // Extended thinking with tools needs the signed thinking blocks sent back (LiteLLM's field name).
  if (Array.isArray(message.thinking_blocks)) blocks.push(...(message.thinking_blocks as AnthropicContentBlock[]));
  const content = message.content;
  if (typeof content === 'string') {
    if (content !== '') blocks.push({ type: 'text', text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      const text = part.type === 'text' ? part.text : part.type === 'refusal' ? part.refusal : undefined;
      if (typeof text !== 'string') throw refuse(`${where}.content[${j}].type`, 'assistant messages may hold only text parts');
      if (text !== '') blocks.push(part.type === 'text' ? textBlock(part) : { type: 'text', text });
    });
  }
  (message.tool_calls ?? []).forEach((call, j) => blocks.push(toolUseBlock(call, `${where}.tool_calls[${j}]`)));
  return blocks;
}

function toolUseBlock(call: NonNullable<ChatMessage['tool_calls']>[number], where: string): AnthropicToolUseBlock {
  if (typeof call?.id !== 'string' || typeof call.function?.name !== 'string') throw refuse(where, 'expected {id, function: {name, arguments}}');
  return { type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments, `${where}.function.arguments`) };
}

function parseArguments(text: unknown, where: string): Record<string, unknown> {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(String(text));
  } catch {
    throw refuse(where, 'tool call arguments must be a JSON object (Anthropic stores them as one); got text that is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse(where, 'tool call arguments must be a JSON object');
  return value as Record<string, unknown>;
}

function toolResultBlock(message: ChatMessage, where: string): AnthropicContentBlock {
  if (typeof message.tool_call_id !== 'string') throw refuse(`${where}.tool_call_id`, 'a tool message needs the tool_call_id it answers');
  const content = message.content;
  return {
    type: 'tool_result',
    tool_use_id: message.tool_call_id,
    content: typeof content === 'string' || content == null ? (content ?? '') : userBlocks(content, `${where}.content`),
  };
}

// ---------------------------------------------------------------------------------------------
// Tools

function convertTool(tool: unknown, i: number): AnthropicTool {
  const t = tool as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown }; [key: string]: unknown };
  // Anything but an OpenAI function tool is taken as an Anthropic-native tool (web search, …).
  if (t?.type !== 'function') return t as AnthropicTool;
  const fn = t.function;
  if (typeof fn?.name !== 'string') throw refuse(`tools[${i}].function.name`, 'expected a string');
  const out: AnthropicTool = { name: fn.name, input_schema: (fn.parameters as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} } };
  if (typeof fn.description === 'string') out.description = fn.description;
  if (t.cache_control != null) out.cache_control = t.cache_control;
  return out;
}

function convertToolChoice(choice: unknown, parallel: unknown): AnthropicToolChoice | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...single };
  if (choice === 'auto') return { type: 'auto', ...single };
  const name = (choice as { function?: { name?: unknown } } | null | undefined)?.function?.name;
  if (typeof name === 'string') return { type: 'tool', name, ...single };
  if (choice != null) throw refuse('tool_choice', 'expected "auto", "required", "none" or {"type": "function", "function": {"name"}}');
  return parallel === false ? { type: 'auto', disable_parallel_tool_use: true } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Responses

/** A chat completion (its first choice) as an Anthropic Message. */
export function chatCompletionToMessage(completion: ChatCompletion): AnthropicMessage {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  const content: AnthropicContentBlock[] = [];
  if (typeof message?.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  for (const [j, call] of (message?.tool_calls ?? []).entries()) {
    let input: Record<string, unknown>;
    try {
      input = parseArguments(call.function?.arguments, `choices[0].message.tool_calls[${j}].function.arguments`);
    } catch (error) {
      throw upstreamFailure('upstream_invalid_response', `the upstream answered a tool call whose arguments are not a JSON object: ${(error as Error).message}`);
    }
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
  }
  return {
    id: completion.id,
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: stopReasonOf(choice?.finish_reason ?? 'stop'),
    stop_sequence: null,
    usage: anthropicUsageOf(completion.usage),
  };
}
