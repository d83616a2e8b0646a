import { GatewayError } from '../core/index.js';
import type { AnthropicContentBlock } from './anthropic-types.js';
import type { ChatCompletionRequest, ChatMessage, ContentPart, ToolCall } from './openai.js';
import type { ResponsesContentPart, ResponsesItem, ResponsesRequest, ResponsesTextFormat } from './responses-types.js';
import { thinkingBlocksOf } from './responses-reasoning.js';

/**
 * A Responses request as a chat completions request, for every deployment that does not speak the
 * Responses API itself (`anthropic/`, the OpenAI-compatible families, mock): the conversation
 * (stored items, then this request's input) becomes messages, function tools and `text.format`
 * their chat forms (a JSON format then reaches Claude as the forced tool of structured-output.ts).
 * What the chat API cannot carry is refused with a 400 naming the field, unless drop_params is on
 * (then it is left out and named in `dropped`); hints with no effect on the answer are left out
 * quietly (docs/responses-api.md lists both).
 */

/** How a target honours `reasoning.effort`. */
export type ReasoningTarget = 'anthropic' | 'chat';

export interface ResponsesToChatOptions {
  /** The stored conversation this request continues (`previous_response_id`), oldest first. */
  history?: readonly ResponsesItem[];
  target: ReasoningTarget;
  /** drop_params: what cannot be carried is dropped (and named in `dropped`) instead of refused. */
  dropUnsupported?: boolean;
  dropped?: string[];
}

/** Top-level fields the translation reads. */
const TRANSLATED = new Set([
  'model', 'input', 'instructions', 'stream', 'tools', 'tool_choice', 'parallel_tool_calls', 'text', 'max_output_tokens',
  'temperature', 'top_p', 'reasoning', 'user',
]);

/** Read by the gateway (store, ids, the answer's echo) or hints with no effect on the answer: not sent. */
const LEFT_OUT = new Set([
  'store', 'previous_response_id', 'metadata', 'include', 'service_tier', 'safety_identifier', 'prompt_cache_key',
  'prompt_cache_retention', 'prompt_cache_options', 'stream_options',
]);

/** Anthropic's thinking budget for each effort, as LiteLLM maps them. */
export const THINKING_BUDGET: Readonly<Record<string, number>> = { low: 1024, medium: 2048, high: 4096, xhigh: 8192 };
/** Anthropic needs max_tokens above the budget; this much room for the answer when the client set none. */
const ANSWER_ROOM = 4096;

export function responsesRequestToChat(request: ResponsesRequest, options: ResponsesToChatOptions): ChatCompletionRequest {
  const refuse = refuser(options);
  checkTopLevel(request, refuse);
  const messages: ChatMessage[] = [];
  if (typeof request.instructions === 'string' && request.instructions !== '') messages.push({ role: 'system', content: request.instructions });
  const history = options.history ?? [];
  const input = typeof request.input === 'string' ? [{ role: 'user' as const, content: request.input }] : (request.input ?? []);
  new MessageBuilder(messages, options.target, history, refuse).add(history, 'history').add(input, 'input');
  if (!messages.some((m) => m.role !== 'system')) {
    throw new GatewayError('invalid_request', 'input: the conversation has no message to answer', { param: 'input' });
  }
  const out: ChatCompletionRequest = { model: request.model, messages };
  if (request.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (typeof request.temperature === 'number') out.temperature = request.temperature;
  if (typeof request.top_p === 'number') out.top_p = request.top_p;
  if (typeof request.max_output_tokens === 'number') out.max_tokens = request.max_output_tokens;
  if (typeof request.user === 'string' && request.user !== '') out.user = request.user;
  if (typeof request.parallel_tool_calls === 'boolean') out.parallel_tool_calls = request.parallel_tool_calls;
  const tools = chatTools(request.tools, refuse);
  if (tools.length > 0) out.tools = tools;
  const choice = chatToolChoice(request.tool_choice, refuse);
  if (choice !== undefined) out.tool_choice = choice;
  const format = chatResponseFormat(request.text?.format, refuse);
  if (format !== undefined) out.response_format = format;
  applyReasoning(out, request, options.target, refuse);
  return out;
}

type Refuse = (param: string, message: string) => void;

function refuser(options: ResponsesToChatOptions): Refuse {
  return (param, message) => {
    if (options.dropUnsupported !== true) throw new GatewayError('invalid_request', `${param}: ${message}`, { param });
    options.dropped?.push(param);
  };
}

function checkTopLevel(request: ResponsesRequest, refuse: Refuse): void {
  for (const key of Object.keys(request)) {
    if (TRANSLATED.has(key) || LEFT_OUT.has(key)) continue;
    const value = request[key];
    if (value == null || value === false) continue; // unset, as the SDKs often send it
    if (key === 'truncation' && value === 'disabled') continue;
    if (key === 'top_logprobs' && value === 0) continue;
    refuse(key, `${JSON.stringify(key)} is not supported when the deployment is reached through translation (only openai/ and azure/ deployments take it natively)`);
  }
  const include = request.include;
  if (Array.isArray(include) && include.includes('message.output_text.logprobs')) refuse('include', 'logprobs are not available through translation');
}

/** Builds chat messages from items, merging an assistant turn's text, reasoning and tool calls into one message. */
class MessageBuilder {
  /** Signed thinking blocks waiting for the assistant message they belong to (anthropic only). */
  private thinking: AnthropicContentBlock[] = [];

  constructor(
    private readonly messages: ChatMessage[],
    private readonly target: ReasoningTarget,
    private readonly known: readonly ResponsesItem[],
    private readonly refuse: Refuse,
  ) {}

  add(items: readonly ResponsesItem[], where: 'history' | 'input'): this {
    // A stored item that cannot be carried is named by where it came from.
    const at = where === 'input' ? 'input' : 'previous_response_id';
    items.forEach((item, i) => this.item(item, `${at}[${i}]`, items));
    return this;
  }

  private item(item: ResponsesItem, at: string, siblings: readonly ResponsesItem[]): void {
    const type = item.type ?? 'message';
    switch (type) {
      case 'message': return this.message(item as Extract<ResponsesItem, { role: string }>, at);
      case 'function_call': return this.functionCall(item as Extract<ResponsesItem, { type: 'function_call' }>);
      case 'function_call_output': return this.functionOutput(item as Extract<ResponsesItem, { type: 'function_call_output' }>, at);
      case 'reasoning': {
        // Only the gateway's own reasoning items can go back (to Claude, as its signed blocks).
        if (this.target === 'anthropic') this.thinking.push(...thinkingBlocksOf(item.encrypted_content));
        return;
      }
      case 'item_reference': {
        const id = item.id;
        const found = [...this.known, ...siblings].find((other) => other.id === id && other.type !== 'item_reference');
        if (found === undefined) return this.refuse(`${at}.id`, `no item ${JSON.stringify(id)} in this conversation`);
        return this.item(found, at, []);
      }
      default:
        return this.refuse(`${at}.type`, `input item type ${JSON.stringify(type)} is not supported through translation`);
    }
  }

  private message(item: { role: string; content: string | ResponsesContentPart[] }, at: string): void {
    const role = item.role as ChatMessage['role'];
    if (role === 'assistant') {
      const text = typeof item.content === 'string' ? item.content : assistantText(item.content, `${at}.content`, this.refuse);
      const last = this.openAssistant();
      if (last !== undefined && !last.tool_calls) last.content = `${typeof last.content === 'string' ? last.content : ''}${text}`;
      else this.push({ role: 'assistant', content: text });
      return;
    }
    const content = typeof item.content === 'string' ? item.content : item.content.map((part, j) => this.part(part, `${at}.content[${j}]`, role !== 'user'));
    this.push({ role, content: content as ChatMessage['content'] });
  }

  private functionCall(item: { call_id: string; name: string; arguments: string }): void {
    const call: ToolCall = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
    const last = this.openAssistant();
    if (last !== undefined) (last.tool_calls ??= []).push(call);
    else this.push({ role: 'assistant', content: null, tool_calls: [call] });
  }

  private functionOutput(item: { call_id: string; output: string | ResponsesContentPart[] }, at: string): void {
    const content = typeof item.output === 'string'
      ? item.output
      : item.output.map((part, j) => this.part(part, `${at}.output[${j}]`, true));
    this.push({ role: 'tool', tool_call_id: item.call_id, content: content as ChatMessage['content'] });
  }

  /** The last message when it is an assistant turn that more of the same turn may join. */
  private openAssistant(): ChatMessage | undefined {
    const last = this.messages.at(-1);
    return last?.role === 'assistant' ? last : undefined;
  }

  private push(message: ChatMessage): void {
    if (message.role === 'assistant' && this.thinking.length > 0) {
      message.thinking_blocks = this.thinking;
      this.thinking = [];
    }
    this.messages.push(message);
  }

  private part(part: ResponsesContentPart, at: string, textOnly: boolean): ContentPart {
    if (part.type === 'input_text' || part.type === 'output_text') return { type: 'text', text: part.text as string };
    if (textOnly) {
      this.refuse(`${at}.type`, `only text parts are supported here through translation, not ${JSON.stringify(part.type)}`);
      return { type: 'text', text: '' };
    }
    if (part.type === 'input_image') {
      if (typeof part.image_url !== 'string' || part.image_url === '') {
        this.refuse(`${at}.file_id`, 'images are taken as image_url (a URL or a data URL) through translation; file_id is OpenAI-only');
        return { type: 'text', text: '' };
      }
      const image: { url: string; detail?: string } = { url: part.image_url };
      if (typeof part.detail === 'string' && part.detail !== 'auto') image.detail = part.detail;
      return { type: 'image_url', image_url: image };
    }
    if (part.type === 'input_file' && typeof part.file_data === 'string') {
      const file: { file_data: string; filename?: string } = { file_data: part.file_data };
      if (typeof part.filename === 'string') file.filename = part.filename;
      return { type: 'file', file };
    }
    this.refuse(at, `content part ${JSON.stringify(part.type)}${part.type === 'input_file' ? ' without file_data' : ''} is not supported through translation`);
    return { type: 'text', text: '' };
  }
}

function assistantText(parts: ResponsesContentPart[], at: string, refuse: Refuse): string {
  let text = '';
  parts.forEach((part, j) => {
    if (part.type === 'output_text' || part.type === 'input_text') text += part.text as string;
    else if (part.type === 'refusal') text += part.refusal as string;
    else refuse(`${at}[${j}].type`, `assistant messages may hold only output_text and refusal parts, not ${JSON.stringify(part.type)}`);
  });
  return text;
}

function chatTools(tools: ResponsesRequest['tools'], refuse: Refuse): unknown[] {
  const out: unknown[] = [];
  (tools ?? []).forEach((tool, i) => {
    if (tool.type !== 'function') return refuse(`tools[${i}].type`, `tool type ${JSON.stringify(tool.type)} is a built-in OpenAI tool, available only on openai/ and azure/ deployments`);
    const fn: Record<string, unknown> = { name: tool.name };
    if (typeof tool.description === 'string') fn.description = tool.description;
    if (tool.parameters != null) fn.parameters = tool.parameters;
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
    out.push({ type: 'function', function: fn });
  });
  return out;
}

function chatToolChoice(choice: unknown, refuse: Refuse): unknown {
  if (choice == null || typeof choice === 'string') return choice ?? undefined;
  const { type, name } = choice as { type: string; name?: unknown };
  if (type === 'function' && typeof name === 'string') return { type: 'function', function: { name } };
  refuse('tool_choice', `tool_choice ${JSON.stringify(type)} is not supported through translation; use "auto", "required", "none" or {"type": "function", "name"}`);
  return undefined;
}

function chatResponseFormat(format: ResponsesTextFormat | undefined, refuse: Refuse): unknown {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type === 'json_schema') {
    const schema: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema };
    if (typeof format.description === 'string') schema.description = format.description;
    if (typeof format.strict === 'boolean') schema.strict = format.strict;
    return { type: 'json_schema', json_schema: schema };
  }
  refuse('text.format.type', `text.format ${JSON.stringify(format.type)} is not supported through translation; use json_schema, json_object or text`);
  return undefined;
}

/**
 * `reasoning.effort`: Claude's extended thinking with LiteLLM's budgets (`thinking` passes through
 * the chat translation as Anthropic's own field), the chat API's `reasoning_effort` elsewhere.
 */
function applyReasoning(out: ChatCompletionRequest, request: ResponsesRequest, target: ReasoningTarget, refuse: Refuse): void {
  const effort = request.reasoning?.effort;
  if (effort == null || effort === 'none' || effort === 'minimal') return;
  if (target === 'chat') {
    out.reasoning_effort = effort;
    return;
  }
  const budget = THINKING_BUDGET[effort];
  if (budget === undefined) return refuse('reasoning.effort', `expected one of ${Object.keys(THINKING_BUDGET).join(', ')}, none or minimal`);
  const max = out.max_tokens;
  if (typeof max === 'number' && max <= budget) {
    return refuse('max_output_tokens', `must be more than ${budget}, the thinking budget that reasoning.effort "${effort}" gives anthropic/ deployments`);
  }
  out.thinking = { type: 'enabled', budget_tokens: budget };
  if (typeof max !== 'number') out.max_tokens = budget + ANSWER_ROOM;
}
