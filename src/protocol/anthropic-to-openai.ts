import { GatewayError } from '../core/index.js';
import { finishReasonOf, openaiUsageOf } from './anthropic-mapping.js';
import type {
  AnthropicContentBlock, AnthropicMessage, AnthropicMessageParam, AnthropicMessagesRequest, AnthropicTool, AnthropicToolChoice,
} from './anthropic-types.js';
import type { ChatCompletion, ChatCompletionRequest, ChatMessage, ToolCall } from './openai.js';
import { RESPONSE_FORMAT_TOOL } from './structured-output.js';

/**
 * Anthropic → OpenAI: a Messages request becomes a chat completions request (for `/v1/messages`
 * on OpenAI-compatible deployments), and an Anthropic Message becomes a chat completion (for
 * `anthropic/` deployments behind the OpenAI API). Blocks OpenAI cannot carry (server tools,
 * citations' sources, images inside tool results) are refused with a 400 naming the field.
 * Field paths here are Anthropic-style (`messages.0.content.1`), as the route reports them.
 */

type OpenAIPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } } | { type: 'file'; file: { file_data: string; filename?: string } };

export function messagesRequestToChat(request: AnthropicMessagesRequest): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (request.system !== undefined) {
    const text = typeof request.system === 'string' ? request.system : request.system.map((b) => b.text).join('\n\n');
    if (text !== '') messages.push({ role: 'system', content: text });
  }
  request.messages.forEach((turn, i) => messages.push(...convertTurn(turn, `messages.${i}`)));
  const out: ChatCompletionRequest = { model: request.model, messages, max_tokens: request.max_tokens };
  if (typeof request.temperature === 'number') out.temperature = request.temperature;
  if (typeof request.top_p === 'number') out.top_p = request.top_p;
  if (request.stop_sequences && request.stop_sequences.length > 0) out.stop = request.stop_sequences;
  if (request.tools && request.tools.length > 0) out.tools = request.tools.map(convertTool);
  if (request.tool_choice !== undefined) Object.assign(out, convertToolChoice(request.tool_choice));
  const user = request.metadata?.user_id;
  if (typeof user === 'string' && user !== '') out.user = user;
  if (request.stream === true) {
    out.stream = true;
    // Anthropic streams always end with usage; ask the OpenAI upstream for it.
    out.stream_options = { include_usage: true };
  }
  return out;
}

function refuse(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${message}`, { param });
}

function convertTurn(turn: AnthropicMessageParam, where: string): ChatMessage[] {
  if (turn.role === 'system') return [{ role: 'system', content: textOf(turn.content, `${where}.content`) }];
  if (turn.role === 'assistant') return [assistantMessage(turn.content, where)];
  if (typeof turn.content === 'string') return [{ role: 'user', content: turn.content }];
  // OpenAI wants each tool result as its own message right after the assistant's tool calls.
  const toolMessages: ChatMessage[] = [];
  const parts: OpenAIPart[] = [];
  turn.content.forEach((block, j) => {
    const at = `${where}.content.${j}`;
    if (block.type === 'tool_result') toolMessages.push(toolMessage(block, at));
    else if (block.type !== 'thinking' && block.type !== 'redacted_thinking') parts.push(userPart(block, at));
  });
  if (parts.length === 0) return toolMessages;
  const only = parts[0]!;
  const content = parts.length === 1 && only.type === 'text' ? only.text : parts;
  return [...toolMessages, { role: 'user', content }];
}

function userPart(block: AnthropicContentBlock, at: string): OpenAIPart {
  if (block.type === 'text') return { type: 'text', text: block.text as string };
  if (block.type === 'image') {
    const source = block.source as { type: string; media_type?: string; data?: string; url?: string };
    if (source.type === 'base64') return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
    if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
    throw refuse(`${at}.source.type`, `image source "${source.type}" can only be sent to anthropic/ deployments`);
  }
  if (block.type === 'document') {
    const source = block.source as { type: string; media_type?: string; data?: string };
    if (source.type === 'base64') {
      const file: { file_data: string; filename?: string } = { file_data: `data:${source.media_type};base64,${source.data}` };
      if (typeof block.title === 'string') file.filename = block.title;
      return { type: 'file', file };
    }
    if (source.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
    throw refuse(`${at}.source.type`, `document source "${source.type}" can only be sent to anthropic/ deployments`);
  }
  throw refuse(`${at}.type`, `content block "${block.type}" can only be sent to anthropic/ deployments`);
}

function toolMessage(block: AnthropicContentBlock, at: string): ChatMessage {
  const content = block.content as string | AnthropicContentBlock[] | undefined;
  return { role: 'tool', tool_call_id: block.tool_use_id as string, content: textOf(content ?? '', `${at}.content`) };
}

/** Text-only content as one string; anything else cannot travel in this position. */
function textOf(content: string | AnthropicContentBlock[], where: string): string {
  if (typeof content === 'string') return content;
  return content.map((block, k) => {
    if (block.type !== 'text') throw refuse(`${where}.${k}.type`, `only text blocks can be sent here to an OpenAI-compatible deployment, got "${block.type}"`);
    return block.text as string;
  }).join('');
}

function assistantMessage(content: string | AnthropicContentBlock[], where: string): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  let text: string | null = null;
  const toolCalls: ToolCall[] = [];
  for (const [j, block] of content.entries()) {
    if (block.type === 'text') text = (text ?? '') + (block.text as string);
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id as string, type: 'function', function: { name: block.name as string, arguments: JSON.stringify(block.input ?? {}) } });
    } else if (block.type !== 'thinking' && block.type !== 'redacted_thinking') {
      throw refuse(`${where}.content.${j}.type`, `content block "${block.type}" can only be sent to anthropic/ deployments`);
    }
  }
  const message: ChatMessage = { role: 'assistant', content: text ?? (toolCalls.length > 0 ? null : '') };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function convertTool(tool: AnthropicTool, i: number): unknown {
  if (tool.type !== undefined && tool.type !== 'custom') {
    throw refuse(`tools.${i}.type`, `server tool "${tool.type}" is only available on anthropic/ deployments`);
  }
  const fn: Record<string, unknown> = { name: tool.name, parameters: tool.input_schema ?? { type: 'object', properties: {} } };
  if (typeof tool.description === 'string') fn.description = tool.description;
  return { type: 'function', function: fn };
}

function convertToolChoice(choice: AnthropicToolChoice): { tool_choice?: unknown; parallel_tool_calls?: boolean } {
  const out: { tool_choice?: unknown; parallel_tool_calls?: boolean } = {};
  if (choice.type === 'auto') out.tool_choice = 'auto';
  else if (choice.type === 'any') out.tool_choice = 'required';
  else if (choice.type === 'none') out.tool_choice = 'none';
  else out.tool_choice = { type: 'function', function: { name: choice.name } };
  if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Responses

/**
 * An Anthropic Message as a chat completion with one choice. With `jsonAnswer` (the request had a
 * JSON response_format, structured-output.ts) a call of the format tool is the answer: its input
 * is the content, as JSON text, in place of any text beside it, and the turn ends with `stop`.
 */
export function messageToChatCompletion(message: AnthropicMessage, created = Math.floor(Date.now() / 1000), jsonAnswer = false): ChatCompletion {
  let text: string | null = null;
  let json: string | undefined;
  let reasoning: string | null = null;
  const toolCalls: ToolCall[] = [];
  const thinkingBlocks: AnthropicContentBlock[] = [];
  for (const block of message.content ?? []) {
    if (block.type === 'text') text = (text ?? '') + (block.text as string);
    else if (block.type === 'tool_use') {
      if (jsonAnswer && block.name === RESPONSE_FORMAT_TOOL && json === undefined) json = JSON.stringify(block.input ?? {});
      else toolCalls.push({ id: block.id as string, type: 'function', function: { name: block.name as string, arguments: JSON.stringify(block.input ?? {}) } });
    } else if (block.type === 'thinking' || block.type === 'redacted_thinking') {
      if (typeof block.thinking === 'string') reasoning = (reasoning ?? '') + block.thinking;
      thinkingBlocks.push(block);
    }
  }
  if (json !== undefined) text = json;
  const out: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text ?? (toolCalls.length > 0 ? null : '') };
  if (toolCalls.length > 0) out.tool_calls = toolCalls;
  // LiteLLM's names: the text for display, the signed blocks to send back with tool results.
  if (reasoning !== null) out.reasoning_content = reasoning;
  if (thinkingBlocks.length > 0) out.thinking_blocks = thinkingBlocks;
  let finish = finishReasonOf(message.stop_reason ?? 'end_turn');
  if (json !== undefined && finish === 'tool_calls' && toolCalls.length === 0) finish = 'stop';
  return {
    id: message.id,
    object: 'chat.completion',
    created,
    model: message.model,
    choices: [{ index: 0, message: out, finish_reason: finish, logprobs: null }],
    usage: openaiUsageOf(message.usage ?? {}),
  };
}
