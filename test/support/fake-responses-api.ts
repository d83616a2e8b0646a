import type { ServerResponse } from 'node:http';
import type { Behaviour, RecordedRequest } from './fake-upstream.js';
import { splitText } from './fake-upstream.js';

/**
 * The fake upstream's OpenAI Responses API (`/v1/responses`, Azure's `/openai/responses`) and
 * Anthropic's `/v1/messages/count_tokens`, kept apart from fake-upstream.ts, which routes to them.
 * Built from the real services' recorded answers (vercel/ai's fixtures) and the official SDKs'
 * request types: field names the real API does not know are refused with its 400 shape, stored
 * responses can be read, listed, deleted and continued (`previous_response_id`), a
 * `function_call_output` must answer a call the conversation holds, and streams carry the whole
 * numbered event sequence with `event:` lines, as OpenAI writes them.
 */

/** `ResponseCreateParams` of openai 6.x (every body field the real API takes). */
const RESPONSES_FIELDS = new Set([
  'background', 'context_management', 'conversation', 'include', 'input', 'instructions', 'max_output_tokens', 'max_tool_calls',
  'metadata', 'model', 'moderation', 'parallel_tool_calls', 'previous_response_id', 'prompt', 'prompt_cache_key',
  'prompt_cache_options', 'prompt_cache_retention', 'reasoning', 'safety_identifier', 'service_tier', 'store', 'stream',
  'stream_options', 'temperature', 'text', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'truncation', 'user',
]);

/** `MessageCountTokensParams` of @anthropic-ai/sdk 1.x, with the beta ones (`?beta=true`). */
const COUNT_TOKENS_FIELDS = new Set([
  'messages', 'model', 'system', 'tools', 'tool_choice', 'thinking', 'cache_control', 'output_config', 'speed',
  'context_management', 'mcp_servers', 'output_format',
]);

type Item = Record<string, unknown> & { type?: string; id?: string };
interface Stored {
  response: Record<string, unknown>;
  /** Everything before this response's output, oldest first (what input_items lists). */
  input: Item[];
}

/** Responses the fake keeps (`store`), by id. One map per fake server. */
export type ResponsesState = Map<string, Stored>;

let counter = 0;
const nextId = (prefix: string) => `${prefix}_fake${(++counter).toString(16).padStart(8, '0')}${Date.now().toString(16)}`;

/** Tokens the fake reports for a count_tokens body: what a test compares the SDK's answer with. */
export function fakeTokenCount(body: Record<string, unknown>): number {
  return Math.max(1, Math.ceil(JSON.stringify({ system: body.system ?? null, messages: body.messages, tools: body.tools ?? null }).length / 4));
}

export function answerCountTokens(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour): void {
  const body = record.body ?? {};
  const status = behaviour.status ?? 200;
  if (status !== 200) return anthropicError(res, status, behaviour.errorMessage ?? `fake upstream error ${status}`, status === 429 ? 'rate_limit_error' : 'api_error');
  const extra = Object.keys(body).find((key) => !COUNT_TOKENS_FIELDS.has(key));
  if (extra !== undefined) return anthropicError(res, 400, `${extra}: Extra inputs are not permitted`);
  if (!Array.isArray(body.messages)) return anthropicError(res, 400, 'messages: Field required');
  json(res, 200, { input_tokens: fakeTokenCount(body) });
}

/** Every Responses API path: create, retrieve, delete, input_items. */
export function answerResponsesApi(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour, state: ResponsesState): Promise<void> | void {
  const rest = /\/responses(?:\/([^/]+)(\/input_items)?)?$/.exec(record.path);
  const id = rest?.[1] === undefined ? undefined : decodeURIComponent(rest[1]);
  if (id === undefined) return record.method === 'POST' ? create(res, record, behaviour, state) : openAIError(res, 405, 'Method not allowed');
  const stored = state.get(id);
  if (stored === undefined) return openAIError(res, 404, `Response with id '${id}' not found.`, null, null);
  if (rest?.[2] !== undefined) {
    const data = new URLSearchParams(record.query).get('order') === 'asc' ? stored.input : [...stored.input].reverse();
    return json(res, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
  }
  if (record.method === 'DELETE') {
    state.delete(id);
    return json(res, 200, { id, object: 'response', deleted: true });
  }
  json(res, 200, stored.response);
}

async function create(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour, state: ResponsesState): Promise<void> {
  const body = record.body ?? {};
  const status = behaviour.status ?? 200;
  if (status !== 200) return openAIError(res, status, behaviour.errorMessage ?? `fake upstream error ${status}`, null, behaviour.errorCode ?? null, status === 429 ? 'rate_limit_error' : 'server_error');
  const unknown = Object.keys(body).find((key) => !RESPONSES_FIELDS.has(key));
  if (unknown !== undefined) return openAIError(res, 400, `Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
  const format = (body.text as { format?: { type?: string; name?: unknown; schema?: unknown } } | undefined)?.format;
  if (format?.type === 'json_schema' && typeof format.name !== 'string') return openAIError(res, 400, "Missing required parameter: 'text.format.name'.", 'text.format.name', 'missing_required_parameter');
  let history: Item[] = [];
  const previousId = body.previous_response_id;
  if (typeof previousId === 'string') {
    const previous = state.get(previousId);
    if (previous === undefined) return openAIError(res, 400, `Previous response with id '${previousId}' not found.`, 'previous_response_id', 'previous_response_not_found');
    history = [...previous.input, ...(previous.response.output as Item[])];
  }
  const own: Item[] = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: body.input }] }] : ((body.input as Item[] | undefined) ?? []);
  const input: Item[] = [...history, ...own.map((item): Item => ({ ...item, type: item.type ?? 'message', id: item.id ?? nextId('msg') }))];
  const calls = new Set(input.filter((i) => i.type === 'function_call').map((i) => i.call_id));
  const orphan = own.find((i) => i.type === 'function_call_output' && !calls.has(i.call_id));
  if (orphan !== undefined) return openAIError(res, 400, `No tool call found for function call output with call_id ${String(orphan.call_id)}.`, 'input', null);

  const text = format?.type === 'json_schema' || format?.type === 'json_object' ? JSON.stringify(behaviour.forcedToolInput ?? {}) : (behaviour.text ?? `fake reply to: ${lastUserText(input)}`);
  const output: Item[] = [];
  if (!behaviour.toolCall || behaviour.text !== undefined) {
    output.push({ id: nextId('msg'), type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] });
  }
  if (behaviour.toolCall) output.push({ id: nextId('fc'), type: 'function_call', status: 'completed', arguments: behaviour.toolCall.arguments, call_id: nextId('call'), name: behaviour.toolCall.name });
  const inputTokens = behaviour.usage?.prompt_tokens ?? Math.max(1, Math.ceil(JSON.stringify(input).length / 4));
  const outputTokens = behaviour.usage?.completion_tokens ?? Math.max(1, Math.ceil(text.length / 4));
  const response: Record<string, unknown> = {
    id: nextId('resp'), object: 'response', created_at: 1_787_659_560, status: 'completed', background: false, completed_at: 1_787_659_561,
    error: null, incomplete_details: null, instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null,
    model: record.model ?? 'fake-model', output, parallel_tool_calls: true, previous_response_id: previousId ?? null,
    reasoning: { effort: null, summary: null }, store: body.store !== false, temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' }, verbosity: 'medium' }, tool_choice: body.tool_choice ?? 'auto', tools: body.tools ?? [],
    top_p: body.top_p ?? 1, truncation: 'disabled', usage: {
      input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inputTokens + outputTokens,
    }, user: null, metadata: body.metadata ?? {},
  };
  if (body.store !== false) state.set(response.id as string, { response, input });
  if (body.stream !== true) return json(res, 200, response);
  await writeResponseEvents(res, responseEvents(response, behaviour.chunkCount), behaviour);
}

/** The event sequence OpenAI streams for a finished response (as in the recorded fixtures). */
export function responseEvents(response: Record<string, unknown>, chunkCount?: number): Array<{ event: string; data: object }> {
  const events: Array<{ event: string; data: object }> = [];
  const add = (data: Record<string, unknown> & { type: string }) => events.push({ event: data.type, data: { ...data, sequence_number: events.length } });
  const pending = { ...response, status: 'in_progress', output: [], usage: null, completed_at: null };
  add({ type: 'response.created', response: pending });
  add({ type: 'response.in_progress', response: pending });
  (response.output as Item[]).forEach((item, output_index) => {
    if (item.type === 'message') {
      const text = ((item.content as Array<{ text: string }>)[0] as { text: string }).text;
      add({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', content: [] } });
      const where = { item_id: item.id, output_index, content_index: 0 };
      add({ type: 'response.content_part.added', ...where, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
      for (const delta of splitText(text, chunkCount)) add({ type: 'response.output_text.delta', ...where, delta, logprobs: [] });
      add({ type: 'response.output_text.done', ...where, text, logprobs: [] });
      add({ type: 'response.content_part.done', ...where, part: (item.content as object[])[0] as object });
    } else {
      add({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const delta of splitText(item.arguments as string, 3)) add({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index, delta });
      add({ type: 'response.function_call_arguments.done', item_id: item.id, output_index, arguments: item.arguments });
    }
    add({ type: 'response.output_item.done', output_index, item });
  });
  add({ type: 'response.completed', response });
  return events;
}

/** Writes the events, honouring the stream failure behaviours (cut, error event) as fake-upstream.ts does. */
async function writeResponseEvents(res: ServerResponse, events: Array<{ event: string; data: object }>, behaviour: Behaviour): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', ...behaviour.headers });
  let sent = 0;
  for (const { event, data } of events) {
    if (res.destroyed) return;
    if (behaviour.truncateAfterChunks !== undefined && sent >= behaviour.truncateAfterChunks) break;
    if (behaviour.errorEventAfterChunks !== undefined && sent >= behaviour.errorEventAfterChunks) {
      const error = { type: 'error', code: 'server_error', message: 'The server had an error while processing your request.', param: null, sequence_number: sent };
      res.end(`event: error\ndata: ${JSON.stringify(error)}\n\n`);
      return;
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    sent++;
    if (behaviour.chunkIntervalMs) await new Promise((resolve) => setTimeout(resolve, behaviour.chunkIntervalMs).unref());
  }
  if (!res.destroyed) res.end();
}

function lastUserText(items: Item[]): string {
  const last = [...items].reverse().find((i) => i.type === 'message' && i.role === 'user');
  const content = last?.content;
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? (content as Array<{ text?: string }>).map((p) => p.text ?? '').join('') : '';
}

function openAIError(res: ServerResponse, status: number, message: string, param: string | null = null, code: string | null = null, type = 'invalid_request_error'): void {
  json(res, status, { error: { message, type, param, code } });
}

function anthropicError(res: ServerResponse, status: number, message: string, type = 'invalid_request_error'): void {
  json(res, status, { type: 'error', error: { type, message } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
