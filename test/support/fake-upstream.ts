import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, createBrotliCompress, createDeflate, createGzip, deflateSync, gzipSync } from 'node:zlib';
import { answerCountTokens, answerResponsesApi, type ResponsesState } from './fake-responses-api.js';

/**
 * The one fake in the test suite: an upstream LLM provider on 127.0.0.1 speaking the OpenAI wire
 * format (chat, completions, embeddings; JSON and SSE; the Azure deployment paths too) and the
 * Anthropic Messages API (`/v1/messages`: JSON, the full SSE event sequence, errors in
 * Anthropic's shape). Like the real APIs it refuses a body field it does not know with a 400 in
 * the API's own error shape. It can be slow, fail, hang, stream, break mid-stream and answer
 * garbage, and it records every request. Behaviour is chosen per request by the upstream model name the
 * gateway sends.
 */

export interface Behaviour {
  /** HTTP status; anything but 200 answers an OpenAI-shaped error. */
  status?: number;
  errorMessage?: string;
  /** The error body's `code` (OpenAI: `context_length_exceeded`, `content_policy_violation`, …); default null. */
  errorCode?: string;
  headers?: Record<string, string>;
  /** Wait before sending response headers. */
  delayMs?: number;
  /** Reply text; default `fake reply to: <last user text>`. */
  text?: string;
  /** Number of content chunks for streams (text split evenly); default one per word. */
  chunkCount?: number;
  /** Pause between stream chunks. */
  chunkIntervalMs?: number;
  /** Answer 200 with a body that is not JSON. */
  garbage?: boolean;
  /** Answer 200 with this JSON value (even `null`) in place of the real answer: one that breaks the API's promise. */
  answerBody?: unknown;
  /** Never answer (the gateway's timeout must fire). */
  hang?: boolean;
  /** Destroy the socket after this many stream chunks. */
  failAfterChunks?: number;
  /**
   * End the stream cleanly after this many events (all of them when there are fewer), without its
   * terminator: no `[DONE]` (and no finish reason when cut before it), no `message_stop`.
   */
  truncateAfterChunks?: number;
  /**
   * Raw text written right after a stream's headers, before any chunk (e.g. an SSE comment such as
   * `: processing\n\n`): the response has begun but no event has arrived yet.
   */
  preamble?: string;
  /** Answer with a tool call instead of text. */
  toolCall?: { name: string; arguments: string };
  /**
   * Anthropic only: the input the model gives a tool the request forces (`tool_choice: {type:
   * "tool", name}`). As Claude does, a forced call is the whole answer (no text before it).
   */
  forcedToolInput?: Record<string, unknown>;
  /** Override usage numbers. */
  usage?: { prompt_tokens: number; completion_tokens: number };
  /**
   * OpenAI: the details real answers carry (`prompt_tokens_details.cached_tokens`, part of
   * prompt_tokens; `completion_tokens_details.reasoning_tokens`, part of completion_tokens).
   */
  usageDetails?: { cachedTokens?: number; reasoningTokens?: number };
  /** Anthropic only: prompt-cache counters reported besides `input_tokens`. */
  cacheTokens?: { read: number; creation: number };
  /** Anthropic only: the stop reason (default `end_turn`, or `tool_use` with a tool call). */
  stopReason?: string;
  /** Anthropic only: a thinking block (with a signature) before the answer. */
  thinking?: string;
  /** Anthropic only: after this many stream events, an `event: error` (overloaded) ends the stream. */
  errorEventAfterChunks?: number;
  /**
   * Answer compressed with this content coding (and say so), asked or not, as servers behind some
   * proxies and frameworks do; streams are flushed event by event.
   */
  contentEncoding?: ContentCoding;
  /**
   * JSON answers go out in pieces without a content-length (as a streaming framework sends them);
   * by default they carry one, as most servers send JSON.
   */
  chunked?: boolean;
}

export type ContentCoding = 'gzip' | 'deflate' | 'br';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string as sent (`?api-version=…`), or ''. */
  query: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
  model: string | undefined;
  receivedAt: number;
  /** When the server side saw this exchange close (response done or connection gone). */
  closedAt?: number;
  /** The response was completely written. */
  completed?: boolean;
}

type Matcher = (request: RecordedRequest) => boolean;
type BehaviourSource = Behaviour | ((request: RecordedRequest) => Behaviour);

export interface FakeUpstream {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Behaviour for requests whose upstream model is `model` (or that match the predicate). Later rules win. */
  behave(match: string | Matcher, behaviour: BehaviourSource): void;
  reset(): void;
  /** Requests for a model (or all), optionally on a path. */
  count(model?: string, path?: string): number;
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  let rules: Array<{ match: Matcher; behaviour: BehaviourSource }> = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const responses: ResponsesState = new Map();

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    const azureDeployment = /^\/openai\/deployments\/([^/]+)\//.exec(url.pathname)?.[1];
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body,
      model: typeof body?.model === 'string' ? body.model : azureDeployment ? decodeURIComponent(azureDeployment) : undefined,
      receivedAt: Date.now(),
    };
    requests.push(record);
    res.on('close', () => {
      record.closedAt = Date.now();
      record.completed = res.writableFinished;
    });

    // As the real APIs do, a field they do not know is refused before anything else.
    const unknownField = unknownFieldOf(url.pathname, body);
    if (unknownField !== undefined) return refuseUnknownField(res, url.pathname, unknownField);

    const rule = [...rules].reverse().find((r) => r.match(record));
    const behaviour = rule === undefined ? {} : typeof rule.behaviour === 'function' ? rule.behaviour(record) : rule.behaviour;
    if (behaviour.hang) return; // never answer; the socket stays open until someone closes it
    if (behaviour.delayMs) await pause(behaviour.delayMs);
    if (res.destroyed) return;

    if (behaviour.garbage) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>definitely not json');
      return;
    }
    if ('answerBody' in behaviour) return json(res, behaviour.answerBody, behaviour);
    // The Responses API and count_tokens live in their own module (fake-responses-api.ts).
    if (/\/responses(\/|$)/.test(url.pathname)) return answerResponsesApi(res, record, behaviour, responses);
    if (url.pathname.endsWith('/v1/messages/count_tokens')) return answerCountTokens(res, record, behaviour);
    const status = behaviour.status ?? 200;
    if (url.pathname.endsWith('/v1/messages')) return answerMessages(res, record, behaviour, status);
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json', ...behaviour.headers });
      const type = status === 429 ? 'rate_limit_error' : 'server_error';
      res.end(JSON.stringify({ error: { message: behaviour.errorMessage ?? `fake upstream error ${status}`, type, code: behaviour.errorCode ?? null } }));
      return;
    }
    if (url.pathname.endsWith('/embeddings')) return sendEmbeddings(res, record, behaviour);
    if (url.pathname.endsWith('/chat/completions')) return body?.stream === true ? streamChat(res, record, behaviour) : sendChat(res, record, behaviour);
    if (url.pathname.endsWith('/completions')) return body?.stream === true ? streamCompletion(res, record, behaviour) : sendCompletion(res, record, behaviour);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `fake upstream has no route ${url.pathname}` } }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    behave(match, behaviour) {
      const matcher: Matcher = typeof match === 'string' ? (r) => r.model === match : match;
      rules.push({ match: matcher, behaviour });
    },
    reset() {
      rules = [];
      requests.length = 0;
    },
    count(model, path) {
      return requests.filter((r) => (model === undefined || r.model === model) && (path === undefined || r.path.endsWith(path))).length;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function replyText(record: RecordedRequest, behaviour: Behaviour): string {
  if (behaviour.text !== undefined) return behaviour.text;
  const body = record.body ?? {};
  if (Array.isArray(body.messages)) {
    const last = [...(body.messages as Array<{ role?: string; content?: unknown }>)].reverse().find((m) => m.role === 'user');
    const content = typeof last?.content === 'string' ? last.content : Array.isArray(last?.content) ? (last.content as Array<{ text?: string }>).map((p) => p.text ?? '').join('') : '';
    return `fake reply to: ${content}`;
  }
  if (body.prompt !== undefined) return `fake completion of: ${String(body.prompt)}`;
  return 'fake reply';
}

function usageFor(record: RecordedRequest, text: string, behaviour: Behaviour) {
  const prompt = behaviour.usage?.prompt_tokens ?? Math.max(1, Math.ceil(JSON.stringify(record.body?.messages ?? record.body?.prompt ?? '').length / 4));
  const completion = behaviour.usage?.completion_tokens ?? Math.max(1, Math.ceil(text.length / 4));
  const details = behaviour.usageDetails;
  return {
    prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion,
    ...(details === undefined ? {} : {
      prompt_tokens_details: { cached_tokens: details.cachedTokens ?? 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: details.reasoningTokens ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    }),
  };
}

function sendChat(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour): void {
  const text = replyText(record, behaviour);
  const message = behaviour.toolCall
    ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_fake_1', type: 'function', function: behaviour.toolCall }] }
    : { role: 'assistant', content: text, refusal: null };
  json(res, {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: record.model ?? 'fake-model',
    choices: [{ index: 0, message, finish_reason: behaviour.toolCall ? 'tool_calls' : 'stop', logprobs: null }],
    usage: usageFor(record, text, behaviour),
    system_fingerprint: 'fp_fake',
  }, behaviour);
}

function sendCompletion(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour): void {
  const text = replyText(record, behaviour);
  json(res, {
    id: 'cmpl-fake', object: 'text_completion', created: 1_700_000_000, model: record.model ?? 'fake-model',
    choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }],
    usage: usageFor(record, text, behaviour),
  }, behaviour);
}

function sendEmbeddings(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour): void {
  const input = record.body?.input;
  const inputs = Array.isArray(input) ? input : [input];
  json(res, {
    object: 'list',
    data: inputs.map((item, index) => {
      const vector = [index, String(item).length, 0.5];
      const base64 = record.body?.encoding_format === 'base64';
      return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
    }),
    model: record.model ?? 'fake-embedding',
    usage: { prompt_tokens: inputs.length * 2, total_tokens: inputs.length * 2 },
  }, behaviour);
}

/** The text split into `count` pieces (or words), so the chunks rejoin into the text. */
export function splitText(text: string, count?: number): string[] {
  if (count === undefined) return text.match(/\s*\S+/g) ?? [text];
  const size = Math.max(1, Math.ceil(text.length / count));
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) pieces.push(text.slice(i * size, (i + 1) * size));
  return pieces;
}

async function streamChat(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour): Promise<void> {
  const text = replyText(record, behaviour);
  const model = record.model ?? 'fake-model';
  const includeUsage = (record.body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  // As OpenAI does: with include_usage every chunk carries `usage: null`, and a last one the usage.
  const base = { id: 'chatcmpl-fake-stream', object: 'chat.completion.chunk', created: 1_700_000_000, model, ...(includeUsage ? { usage: null } : {}) };
  const events: object[] = [{ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }];
  if (behaviour.toolCall) {
    events.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_fake_1', type: 'function', function: { name: behaviour.toolCall.name, arguments: '' } }] }, finish_reason: null }] });
    for (const piece of splitText(behaviour.toolCall.arguments, 3)) {
      events.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] }, finish_reason: null }] });
    }
    events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
  } else {
    for (const piece of splitText(text, behaviour.chunkCount)) events.push({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
    events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  }
  if (includeUsage) events.push({ ...base, choices: [], usage: usageFor(record, text, behaviour) });
  await writeStream(res, events, behaviour);
}

async function streamCompletion(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour): Promise<void> {
  const text = replyText(record, behaviour);
  const includeUsage = (record.body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const base = { id: 'cmpl-fake-stream', object: 'text_completion', created: 1_700_000_000, model: record.model ?? 'fake-model', ...(includeUsage ? { usage: null } : {}) };
  const events: object[] = splitText(text, behaviour.chunkCount).map((piece) => ({ ...base, choices: [{ index: 0, text: piece, finish_reason: null, logprobs: null }] }));
  events.push({ ...base, choices: [{ index: 0, text: '', finish_reason: 'stop', logprobs: null }] });
  if (includeUsage) events.push({ ...base, choices: [], usage: usageFor(record, text, behaviour) });
  await writeStream(res, events, behaviour);
}

async function writeStream(res: ServerResponse, events: object[], behaviour: Behaviour): Promise<void> {
  await writeEvents(res, events.map((data) => ({ data })), behaviour, 'data: [DONE]\n\n');
}

/** Writes SSE events (named ones for Anthropic), honouring the failure behaviours. */
async function writeEvents(res: ServerResponse, events: Array<{ event?: string; data: object }>, behaviour: Behaviour, terminator = ''): Promise<void> {
  const coding = behaviour.contentEncoding;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...(coding ? { 'content-encoding': coding } : {}), ...behaviour.headers });
  const out = eventWriter(res, coding);
  if (behaviour.preamble !== undefined) out.write(behaviour.preamble);
  let sent = 0;
  for (const { event, data } of events) {
    if (res.destroyed) return;
    if (behaviour.failAfterChunks !== undefined && sent >= behaviour.failAfterChunks) {
      await pause(50); // let the chunks already written reach the gateway first
      res.destroy();
      return;
    }
    if (behaviour.truncateAfterChunks !== undefined && sent >= behaviour.truncateAfterChunks) break;
    if (behaviour.errorEventAfterChunks !== undefined && sent >= behaviour.errorEventAfterChunks) {
      out.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`);
      return;
    }
    out.write(event === undefined ? `data: ${JSON.stringify(data)}\n\n` : `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    sent++;
    if (behaviour.chunkIntervalMs) await pause(behaviour.chunkIntervalMs);
  }
  if (!res.destroyed) out.end(behaviour.truncateAfterChunks === undefined ? terminator : '');
}

// ---------------------------------------------------------------------------------------------
// Known request fields: what the real APIs accept at the top level of a body (from the request
// types of the official openai and @anthropic-ai/sdk clients, plus Anthropic's sampling fields
// that older API versions take). Anything else is answered as they answer it: a 400.

const OPENAI_FIELDS: Record<string, ReadonlySet<string>> = {
  '/chat/completions': new Set([
    'messages', 'model', 'audio', 'frequency_penalty', 'function_call', 'functions', 'logit_bias', 'logprobs', 'max_completion_tokens',
    'max_tokens', 'metadata', 'modalities', 'moderation', 'n', 'parallel_tool_calls', 'prediction', 'presence_penalty', 'prompt_cache_key',
    'prompt_cache_options', 'prompt_cache_retention', 'reasoning_effort', 'response_format', 'safety_identifier', 'seed', 'service_tier',
    'stop', 'store', 'stream', 'stream_options', 'temperature', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'user', 'verbosity',
    'web_search_options',
  ]),
  '/completions': new Set([
    'model', 'prompt', 'best_of', 'echo', 'frequency_penalty', 'logit_bias', 'logprobs', 'max_tokens', 'n', 'presence_penalty', 'seed', 'stop',
    'stream', 'stream_options', 'suffix', 'temperature', 'top_p', 'user',
  ]),
  '/embeddings': new Set(['input', 'model', 'dimensions', 'encoding_format', 'user']),
};

const ANTHROPIC_FIELDS: ReadonlySet<string> = new Set([
  'max_tokens', 'messages', 'model', 'cache_control', 'container', 'diagnostics', 'inference_geo', 'metadata', 'output_config', 'service_tier',
  'speed', 'stop_sequences', 'stream', 'system', 'thinking', 'tool_choice', 'tools', 'user_profile_id', 'workspace_id',
  'temperature', 'top_k', 'top_p', 'mcp_servers', 'context_management', 'output_format',
]);

/** The first top-level field of `body` the API at `path` does not take (Anthropic: also in `metadata`). */
function unknownFieldOf(path: string, body: Record<string, unknown> | undefined): string | undefined {
  if (body === undefined) return undefined;
  if (path.endsWith('/v1/messages')) {
    const top = Object.keys(body).find((key) => !ANTHROPIC_FIELDS.has(key));
    if (top !== undefined) return top;
    const metadata = body.metadata;
    const inner = metadata !== null && typeof metadata === 'object' ? Object.keys(metadata).find((key) => key !== 'user_id') : undefined;
    return inner === undefined ? undefined : `metadata.${inner}`;
  }
  const known = Object.entries(OPENAI_FIELDS).find(([suffix]) => path.endsWith(suffix))?.[1];
  return known === undefined ? undefined : Object.keys(body).find((key) => !known.has(key));
}

/** The 400 each API answers an unknown field with, in its own words and shape. */
function refuseUnknownField(res: ServerResponse, path: string, field: string): void {
  res.writeHead(400, { 'content-type': 'application/json' });
  const body = path.endsWith('/v1/messages')
    ? { type: 'error', error: { type: 'invalid_request_error', message: `${field}: Extra inputs are not permitted` } }
    : { error: { message: `Unrecognized request argument supplied: ${field}`, type: 'invalid_request_error', param: null, code: null } };
  res.end(JSON.stringify(body));
}

/** Writes SSE text as is, or through a compressor flushed after every write (so events arrive one by one). */
function eventWriter(res: ServerResponse, coding: ContentCoding | undefined): { write(text: string): void; end(text: string): void } {
  if (coding === undefined) return { write: (text) => res.write(text), end: (text) => res.end(text) };
  const compressor = coding === 'gzip' ? createGzip() : coding === 'deflate' ? createDeflate() : createBrotliCompress();
  compressor.pipe(res);
  return {
    write: (text) => {
      compressor.write(text);
      compressor.flush();
    },
    end: (text) => compressor.end(text),
  };
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages

export interface FakeAnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<Record<string, unknown> & { type: string }>;
  stop_reason: string;
  stop_sequence: null;
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
}

/** The Message the fake means to answer: what a test compares the SDK's final message with. */
export function anthropicMessageFor(record: RecordedRequest, requested: Behaviour): FakeAnthropicMessage {
  const behaviour = withForcedTool(record, requested);
  const text = replyText(record, behaviour);
  const content: FakeAnthropicMessage['content'] = [];
  if (behaviour.thinking !== undefined) content.push({ type: 'thinking', thinking: behaviour.thinking, signature: 'fake-signature' });
  // With a tool call, text is sent before it only when the behaviour names one (as Claude often does).
  if (!behaviour.toolCall || behaviour.text !== undefined) content.push({ type: 'text', text });
  if (behaviour.toolCall) {
    content.push({ type: 'tool_use', id: 'toolu_fake_1', name: behaviour.toolCall.name, input: JSON.parse(behaviour.toolCall.arguments) as object });
  }
  const usage = usageFor(record, text, behaviour);
  return {
    id: 'msg_fake_1',
    type: 'message',
    role: 'assistant',
    model: record.model ?? 'fake-claude',
    content,
    stop_reason: behaviour.stopReason ?? (behaviour.toolCall ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: {
      input_tokens: usage.prompt_tokens,
      output_tokens: usage.completion_tokens,
      cache_read_input_tokens: behaviour.cacheTokens?.read ?? 0,
      cache_creation_input_tokens: behaviour.cacheTokens?.creation ?? 0,
    },
  };
}

/** A request that forces a named tool gets that tool called, with `forcedToolInput`. */
function withForcedTool(record: RecordedRequest, behaviour: Behaviour): Behaviour {
  const choice = record.body?.tool_choice as { type?: unknown; name?: unknown } | undefined;
  if (behaviour.toolCall !== undefined || choice?.type !== 'tool' || typeof choice.name !== 'string') return behaviour;
  return { ...behaviour, toolCall: { name: choice.name, arguments: JSON.stringify(behaviour.forcedToolInput ?? {}) } };
}

/**
 * The SSE events Anthropic sends for a message: message_start (input usage), ping, per block a
 * start / deltas / stop (text in `chunkCount` pieces or word by word, tool input as
 * input_json_delta pieces after the usual empty one), message_delta (stop reason, output
 * usage), message_stop.
 */
export function anthropicStreamEvents(message: FakeAnthropicMessage, chunkCount?: number): Array<{ event: string; data: object }> {
  const events: Array<{ event: string; data: object }> = [];
  const add = (data: { type: string; [key: string]: unknown }) => events.push({ event: data.type, data });
  add({ type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } } });
  add({ type: 'ping' });
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      add({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const piece of splitText(block.text as string, chunkCount)) add({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    } else if (block.type === 'thinking') {
      add({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      add({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } });
      add({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } });
    } else {
      add({ type: 'content_block_start', index, content_block: { ...block, input: {} } });
      add({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of splitText(JSON.stringify(block.input), 3)) add({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    add({ type: 'content_block_stop', index });
  });
  add({ type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: message.usage.output_tokens } });
  add({ type: 'message_stop' });
  return events;
}

async function answerMessages(res: ServerResponse, record: RecordedRequest, behaviour: Behaviour, status: number): Promise<void> {
  if (status !== 200) {
    res.writeHead(status, { 'content-type': 'application/json', ...behaviour.headers });
    res.end(JSON.stringify({ type: 'error', error: { type: anthropicErrorType(status), message: behaviour.errorMessage ?? `fake upstream error ${status}` } }));
    return;
  }
  const message = anthropicMessageFor(record, behaviour);
  if (record.body?.stream === true) return writeEvents(res, anthropicStreamEvents(message, behaviour.chunkCount), behaviour);
  json(res, message, behaviour);
}

function anthropicErrorType(status: number): string {
  const types: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 404: 'not_found_error', 429: 'rate_limit_error', 529: 'overloaded_error' };
  return types[status] ?? 'api_error';
}

/** A JSON answer: with a content-length unless `chunked`, compressed when the behaviour says so. */
function json(res: ServerResponse, body: unknown, behaviour: Behaviour): void {
  const coding = behaviour.contentEncoding;
  const text = JSON.stringify(body);
  const bytes = coding === 'gzip' ? gzipSync(text) : coding === 'deflate' ? deflateSync(text) : coding === 'br' ? brotliCompressSync(text) : Buffer.from(text);
  const headers = { 'content-type': 'application/json', ...(coding ? { 'content-encoding': coding } : {}), ...behaviour.headers };
  if (!behaviour.chunked) {
    res.writeHead(200, { ...headers, 'content-length': String(bytes.length) });
    res.end(bytes);
    return;
  }
  res.writeHead(200, headers);
  for (let at = 0; at < bytes.length; at += 64 * 1024) res.write(bytes.subarray(at, at + 64 * 1024));
  res.end();
}

/** The fake's own waits must not keep a finished test file alive. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
