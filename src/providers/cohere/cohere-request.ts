import type { ChatCompletionRequest, ChatMessage, ContentPart, EmbeddingRequest } from '../../protocol/index.js';
import { plainText, refuseParam } from '../message-text.js';

/**
 * OpenAI → Cohere v2 (`POST /v2/chat`, `POST /v2/embed`). Cohere refuses fields it does not know,
 * so the request is built field by field: sampling under Cohere's names (`p`, `k`,
 * `stop_sequences`), tools in the same function shape, `tool_choice` as `REQUIRED` / `NONE`.
 * What Cohere cannot express (`n` > 1, a forced named tool, OpenAI logprobs) is a 400 naming the
 * field, or with `drop_params` left out and named; hints it has no notion of are left out.
 */

export interface CohereChatRequest {
  model: string;
  messages: CohereMessage[];
  stream?: boolean;
  [key: string]: unknown;
}

export type CohereMessage =
  | { role: 'system' | 'user'; content: string | CohereContent[] }
  | { role: 'assistant'; content?: string | CohereContent[]; tool_calls?: CohereToolCall[]; tool_plan?: string }
  | { role: 'tool'; tool_call_id: string; content: string | CohereContent[] };

export type CohereContent = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface CohereToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** OpenAI fields with no Cohere counterpart, left out whatever drop_params says. */
const LEFT_OUT = [
  'user', 'logit_bias', 'store', 'metadata', 'service_tier', 'parallel_tool_calls', 'top_logprobs', 'prediction', 'modalities',
  'audio', 'reasoning_effort', 'verbosity', 'web_search_options', 'prompt_cache_key', 'safety_identifier',
] as const;

/** Cohere's own fields a caller may send (as extra body): passed on as they are. */
const NATIVE_PASSTHROUGH = ['documents', 'citation_options', 'safety_mode', 'thinking', 'strict_tools', 'priority'] as const;

export interface CohereRequestOptions {
  model: string;
  dropUnsupported: boolean;
  dropped: string[];
}

export function chatRequestToCohere(request: ChatCompletionRequest, options: CohereRequestOptions): CohereChatRequest {
  const fail = (param: string, message: string) => {
    if (!options.dropUnsupported) throw refuseParam(param, `${message} (or set drop_params)`);
    options.dropped.push(param);
  };
  if (typeof request.n === 'number' && request.n > 1) fail('n', 'cohere/ deployments return one choice; n must be 1');
  if (request.logprobs === true) fail('logprobs', 'cohere/ deployments do not return OpenAI logprobs');
  for (const key of LEFT_OUT) if (request[key] != null) options.dropped.push(key);

  const out: CohereChatRequest = { model: options.model, messages: request.messages.map((m, i) => convertMessage(m, `messages[${i}]`)) };
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === 'number') out.max_tokens = maxTokens;
  if (typeof request.temperature === 'number') out.temperature = request.temperature;
  if (typeof request.top_p === 'number') out.p = request.top_p;
  if (typeof request.top_k === 'number') out.k = request.top_k;
  if (typeof request.seed === 'number') out.seed = request.seed;
  if (typeof request.frequency_penalty === 'number') out.frequency_penalty = request.frequency_penalty;
  if (typeof request.presence_penalty === 'number') out.presence_penalty = request.presence_penalty;
  const stop = request.stop;
  if (typeof stop === 'string') out.stop_sequences = [stop];
  else if (Array.isArray(stop) && stop.length > 0) out.stop_sequences = stop;
  if (Array.isArray(request.tools) && request.tools.length > 0) out.tools = request.tools.map(convertTool);
  const choice = request.tool_choice;
  if (choice === 'required') out.tool_choice = 'REQUIRED';
  else if (choice === 'none') out.tool_choice = 'NONE';
  else if (choice != null && choice !== 'auto') fail('tool_choice', 'Cohere cannot force a named tool; use "required", "none" or "auto"');
  const format = responseFormatOf(request.response_format, fail);
  if (format !== undefined) out.response_format = format;
  for (const key of NATIVE_PASSTHROUGH) if (request[key] != null) out[key] = request[key];
  if (request.stream === true) out.stream = true;
  return out;
}

function convertMessage(message: ChatMessage, where: string): CohereMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: plainText(message.content, `${where}.content`) };
    case 'user':
      return { role: 'user', content: userContent(message.content, `${where}.content`) };
    case 'assistant': {
      const out: Extract<CohereMessage, { role: 'assistant' }> = { role: 'assistant' };
      const text = plainText(message.content, `${where}.content`);
      if (text !== '') out.content = text;
      const calls = message.tool_calls ?? [];
      if (calls.length > 0) {
        out.tool_calls = calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments || '{}' } }));
      }
      // Cohere refuses an assistant turn with neither text nor tool calls.
      if (out.content === undefined && out.tool_calls === undefined) out.content = ' ';
      return out;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.tool_call_id as string, content: plainText(message.content, `${where}.content`) };
    default:
      throw refuseParam(`${where}.role`, `role "${String(message.role)}" is not supported by cohere/ deployments; use tools and tool messages`);
  }
}

function userContent(content: ChatMessage['content'], where: string): string | CohereContent[] {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((part: ContentPart, j): CohereContent => {
    if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
    if (part.type === 'image_url') return { type: 'image_url', image_url: { url: (part.image_url as { url: string }).url } };
    throw refuseParam(`${where}[${j}].type`, `content part type "${String(part.type)}" is not supported by cohere/ deployments`);
  });
}

function convertTool(tool: unknown, i: number): unknown {
  const t = tool as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } };
  if (t?.type !== 'function' || typeof t.function?.name !== 'string') throw refuseParam(`tools[${i}].type`, 'cohere/ deployments take function tools only');
  const fn: Record<string, unknown> = { name: t.function.name, parameters: t.function.parameters ?? { type: 'object', properties: {} } };
  if (typeof t.function.description === 'string') fn.description = t.function.description;
  return { type: 'function', function: fn };
}

function responseFormatOf(format: unknown, fail: (param: string, message: string) => void): unknown {
  const f = format as { type?: unknown; json_schema?: { schema?: unknown } } | null | undefined;
  if (f == null || f.type === 'text') return undefined;
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type === 'json_schema') return f.json_schema?.schema == null ? { type: 'json_object' } : { type: 'json_object', json_schema: f.json_schema.schema };
  fail('response_format.type', `response_format "${String(f.type)}" is not supported by cohere/ deployments; use json_schema, json_object or text`);
  return undefined;
}

/** `/v2/embed`: texts only (token arrays cannot be sent), as floats; `input_type` from the request, else `search_document` (LiteLLM's default). */
export function embeddingRequestToCohere(request: EmbeddingRequest, model: string): Record<string, unknown> {
  const input = request.input;
  const texts: unknown[] = typeof input === 'string' ? [input] : input;
  if (!texts.every((t) => typeof t === 'string')) throw refuseParam('input', 'cohere/ deployments embed text; token arrays cannot be sent');
  const out: Record<string, unknown> = { model, texts, input_type: typeof request.input_type === 'string' ? request.input_type : 'search_document', embedding_types: ['float'] };
  if (typeof request.dimensions === 'number') out.output_dimension = request.dimensions;
  if (typeof request.truncate === 'string') out.truncate = request.truncate;
  return out;
}
