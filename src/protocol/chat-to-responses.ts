import type { AnthropicContentBlock } from './anthropic-types.js';
import type { ChatCompletion, FinishReason, Usage } from './openai.js';
import { encodeThinkingBlocks } from './responses-reasoning.js';
import type { ItemIds } from './responses-items.js';
import type { ResponseObject, ResponsesItem, ResponsesRequest, ResponsesUsage } from './responses-types.js';

/**
 * A chat completion as a Response (the answer side of responses-to-chat.ts): reasoning (Claude's
 * thinking, as a summary), the message's text, then one `function_call` item per tool call;
 * `finish_reason: length` (or a content filter) makes the response `incomplete`. The request's
 * settings are echoed as OpenAI echoes them. The stream side is chat-stream-to-responses.ts.
 */

/** What a translated answer needs to know about itself before the upstream has said anything. */
export interface ResponseFrame {
  readonly id: string;
  readonly createdAt: number;
  readonly request: ResponsesRequest;
  readonly ids: ItemIds;
}

/** The Response as it stands before any output: what `response.created` carries. */
export function responseShell(frame: ResponseFrame, model: string): ResponseObject {
  const r = frame.request;
  return {
    id: frame.id,
    object: 'response',
    created_at: frame.createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    metadata: r.metadata ?? {},
    model,
    output: [],
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: r.reasoning?.summary ?? null },
    store: r.store ?? true,
    temperature: r.temperature ?? 1,
    text: { format: r.text?.format ?? { type: 'text' }, verbosity: r.text?.verbosity ?? 'medium' },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: r.user ?? null,
  };
}

/** Status and incomplete_details for a chat finish reason. */
export function statusOf(finish: FinishReason | string | null | undefined): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** Chat usage as Responses usage (cached input and reasoning output kept in their details). */
export function responsesUsageOf(usage: Partial<Usage> | null | undefined): ResponsesUsage {
  const input = usage?.prompt_tokens ?? 0;
  const output = usage?.completion_tokens ?? 0;
  const reasoning = (usage?.completion_tokens_details as { reasoning_tokens?: unknown } | undefined)?.reasoning_tokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: typeof reasoning === 'number' ? reasoning : 0 },
    total_tokens: usage?.total_tokens ?? input + output,
  };
}

export function reasoningItem(id: string, text: string, blocks: readonly AnthropicContentBlock[]): ResponsesItem {
  const item: ResponsesItem = { id, type: 'reasoning', summary: text === '' ? [] : [{ type: 'summary_text', text }] };
  const encrypted = encodeThinkingBlocks(blocks);
  if (encrypted !== null) item.encrypted_content = encrypted;
  return item;
}

export function messageItem(id: string, text: string, status: 'completed' | 'incomplete', refusal?: string): ResponsesItem {
  const content = refusal !== undefined
    ? [{ type: 'refusal', refusal }]
    : [{ type: 'output_text', text, annotations: [], logprobs: [] }];
  return { id, type: 'message', status, role: 'assistant', content };
}

export function functionCallItem(id: string, callId: string, name: string, args: string): ResponsesItem {
  return { id, type: 'function_call', status: 'completed', arguments: args, call_id: callId, name };
}

export function chatCompletionToResponse(completion: ChatCompletion, frame: ResponseFrame): ResponseObject {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  const { status, incomplete_details } = statusOf(choice?.finish_reason);
  const output: ResponsesItem[] = [];
  const reasoning = message?.reasoning_content;
  const blocks = Array.isArray(message?.thinking_blocks) ? (message.thinking_blocks as AnthropicContentBlock[]) : [];
  if ((typeof reasoning === 'string' && reasoning !== '') || blocks.length > 0) {
    output.push(reasoningItem(frame.ids.id('rs'), typeof reasoning === 'string' ? reasoning : '', blocks));
  }
  const text = typeof message?.content === 'string' ? message.content : '';
  const calls = message?.tool_calls ?? [];
  const refusal = typeof message?.refusal === 'string' && message.refusal !== '' ? message.refusal : undefined;
  if (text !== '' || refusal !== undefined || calls.length === 0) {
    output.push(messageItem(frame.ids.id('msg'), text, status === 'completed' ? 'completed' : 'incomplete', refusal));
  }
  for (const call of calls) output.push(functionCallItem(frame.ids.id('fc'), call.id, call.function.name, call.function.arguments ?? ''));
  return {
    ...responseShell(frame, completion.model || frame.request.model),
    status,
    completed_at: status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    incomplete_details,
    output,
    usage: responsesUsageOf(completion.usage),
  };
}
