import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { anthropicMessageFor, anthropicStreamEvents, replyText, splitText, type Behaviour as UpstreamBehaviour, type RecordedRequest as UpstreamRecord } from './fake-upstream.js';

/**
 * A fake AWS Bedrock runtime on 127.0.0.1: `/model/{id}/converse`, `/converse-stream`, `/invoke`
 * and `/invoke-with-response-stream`, as the real service answers them. Every request must carry
 * a valid SigV4 signature for the test's keys, checked here from the spec (canonical request,
 * derived key, HMAC) rather than with the library the gateway signs with; a wrong one is refused
 * with a 403 in AWS's shape (`x-amzn-ErrorType` header, `{"message"}` body). Streams use AWS's
 * binary event-stream framing. Like the real API it refuses what it does not take: extraneous
 * keys in Claude's invoke body, unknown Converse fields, conversations that do not alternate.
 */

export interface FakeBedrockOptions {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
}

export interface BedrockBehaviour {
  /** Reply text; default `fake reply to: <last user text>`. */
  text?: string;
  /** Answer with a tool call (after any text). */
  toolCall?: { name: string; input: Record<string, unknown> };
  /** An error answer: status, AWS's error type and message. */
  error?: { status: number; type: string; message: string };
  /** Streams: end with this exception (`throttlingException`, …) after this many events. */
  exceptionAfterEvents?: { count: number; type: string; message: string };
  /** Streams: the text in this many pieces (default one per word). */
  chunkCount?: number;
  /** The input the model gives a tool the request forces (`toolChoice: {tool: {name}}`); as Claude does, the call is the whole answer. */
  forcedToolInput?: Record<string, unknown>;
}

export interface BedrockRecord {
  api: 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream';
  modelId: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface FakeBedrock {
  readonly url: string;
  readonly requests: BedrockRecord[];
  /** Behaviour for a model id (later rules win). */
  behave(modelId: string, behaviour: BedrockBehaviour): void;
  reset(): void;
  close(): Promise<void>;
}

const INVALID_SIGNATURE = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const CONVERSE_FIELDS = new Set([
  'messages', 'system', 'inferenceConfig', 'toolConfig', 'guardrailConfig', 'additionalModelRequestFields', 'additionalModelResponseFieldPaths',
  'promptVariables', 'requestMetadata', 'performanceConfig',
]);
const CLAUDE_FIELDS = new Set(['anthropic_version', 'anthropic_beta', 'max_tokens', 'messages', 'system', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'tools', 'tool_choice', 'thinking']);
const codec = new EventStreamCodec(toUtf8, fromUtf8);

export async function startFakeBedrock(options: FakeBedrockOptions): Promise<FakeBedrock> {
  let rules: Array<{ modelId: string; behaviour: BedrockBehaviour }> = [];
  const requests: BedrockRecord[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const match = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/.exec(rawPath);
    let body: Record<string, unknown> | undefined;
    try {
      body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    const auth = verifySignature(req, rawPath, raw, options);
    if (auth !== undefined) return awsError(res, auth.status, auth.type, auth.message);
    if (req.method !== 'POST' || match === null) return awsError(res, 404, 'UnknownOperationException', `no operation at ${rawPath}`);
    const modelId = decodeURIComponent(match[1]!);
    const api = match[2] as BedrockRecord['api'];
    requests.push({ api, modelId, path: rawPath, headers: req.headers, body });
    if (body === undefined) return awsError(res, 400, 'SerializationException', 'Unable to parse the request body as JSON');
    const behaviour = [...rules].reverse().find((r) => r.modelId === modelId)?.behaviour ?? {};
    if (behaviour.error) return awsError(res, behaviour.error.status, behaviour.error.type, behaviour.error.message);
    if (api === 'converse' || api === 'converse-stream') {
      const problem = converseProblem(body);
      if (problem !== undefined) return awsError(res, 400, 'ValidationException', problem);
      const forced = (body.toolConfig as { toolChoice?: { tool?: { name?: string } } } | undefined)?.toolChoice?.tool?.name;
      const answer = forced === undefined || behaviour.toolCall ? behaviour : { ...behaviour, toolCall: { name: forced, input: behaviour.forcedToolInput ?? {} } };
      return api === 'converse' ? sendConverse(res, modelId, body, answer) : streamConverse(res, modelId, body, answer);
    }
    if (/anthropic\.claude/.test(modelId)) {
      const problem = claudeProblem(body);
      if (problem !== undefined) return awsError(res, 400, 'ValidationException', problem);
      return invokeClaude(res, modelId, body, behaviour, api === 'invoke-with-response-stream');
    }
    return invokeEmbedding(res, modelId, body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behave(modelId, behaviour) {
      rules.push({ modelId, behaviour });
    },
    reset() {
      rules = [];
      requests.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SigV4, from the spec

function verifySignature(req: IncomingMessage, rawPath: string, body: Buffer, options: FakeBedrockOptions): { status: number; type: string; message: string } | undefined {
  const header = String(req.headers.authorization ?? '');
  const parsed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header);
  if (parsed === null) return { status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const [, keyId, date, region, service, signedHeaders, signature] = parsed as unknown as string[];
  const invalidToken = { status: 403, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (keyId !== options.accessKeyId) return invalidToken;
  if (options.sessionToken !== undefined && req.headers['x-amz-security-token'] !== options.sessionToken) return invalidToken;
  if (region !== options.region || service !== 'bedrock') {
    return { status: 403, type: 'InvalidSignatureException', message: `Credential should be scoped to a valid region or service: ${region}/${service}` };
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const names = signedHeaders!.split(';');
  if (!amzDate.startsWith(date!) || !names.includes('host') || !names.includes('x-amz-date')) return { status: 403, type: 'InvalidSignatureException', message: INVALID_SIGNATURE };
  if (options.sessionToken !== undefined && !names.includes('x-amz-security-token')) return { status: 403, type: 'InvalidSignatureException', message: INVALID_SIGNATURE };
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const declared = req.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== payloadHash) return { status: 403, type: 'InvalidSignatureException', message: INVALID_SIGNATURE };
  // Non-S3 services encode each path segment once more for the canonical URI.
  const canonicalUri = rawPath.split('/').map((segment) => encodeRfc3986(segment)).join('/');
  const canonicalHeaders = names.map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [req.method, canonicalUri, '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = hmac(`AWS4${options.secretAccessKey}`, date!);
  for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === signature ? undefined : { status: 403, type: 'InvalidSignatureException', message: INVALID_SIGNATURE };
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': 'fake-request-id' });
  res.end(JSON.stringify({ message }));
}

// ---------------------------------------------------------------------------------------------
// Converse

type Block = Record<string, unknown>;

function converseProblem(body: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(body)) if (!CONVERSE_FIELDS.has(key)) return `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`;
  const messages = body.messages as Array<{ role: string; content: Block[] }> | undefined;
  if (!Array.isArray(messages) || messages.length === 0) return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  if (messages[0]!.role !== 'user') return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  for (let i = 1; i < messages.length; i++) {
    if (messages[i]!.role === messages[i - 1]!.role) return 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';
  }
  const usesTools = messages.some((m) => m.content.some((b) => b.toolUse !== undefined || b.toolResult !== undefined));
  if (usesTools && body.toolConfig === undefined) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  const maxTokens = (body.inferenceConfig as { maxTokens?: unknown } | undefined)?.maxTokens;
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || maxTokens < 1)) return '1 validation error detected: Value at \'inferenceConfig.maxTokens\' failed to satisfy constraint: Member must have value greater than or equal to 1';
  return undefined;
}

function asUpstreamRecord(modelId: string, body: Record<string, unknown>): UpstreamRecord {
  return { method: 'POST', path: '', query: '', headers: {}, body, model: modelId, receivedAt: Date.now() };
}

function usageOf(body: Record<string, unknown>, text: string) {
  const inputTokens = Math.max(1, Math.ceil(JSON.stringify(body.messages ?? '').length / 4));
  const outputTokens = Math.max(1, Math.ceil(text.length / 4));
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

function sendConverse(res: ServerResponse, modelId: string, body: Record<string, unknown>, behaviour: BedrockBehaviour): void {
  const text = replyText(asUpstreamRecord(modelId, body), { text: behaviour.text });
  const content: Block[] = [];
  if (!behaviour.toolCall || behaviour.text !== undefined) content.push({ text });
  if (behaviour.toolCall) content.push({ toolUse: { toolUseId: 'tooluse_fake_1', name: behaviour.toolCall.name, input: behaviour.toolCall.input } });
  const answer = {
    output: { message: { role: 'assistant', content } },
    stopReason: behaviour.toolCall ? 'tool_use' : 'end_turn',
    usage: usageOf(body, text),
    metrics: { latencyMs: 42 },
  };
  res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'fake-request-id' });
  res.end(JSON.stringify(answer));
}

function streamConverse(res: ServerResponse, modelId: string, body: Record<string, unknown>, behaviour: BedrockBehaviour): void {
  const text = replyText(asUpstreamRecord(modelId, body), { text: behaviour.text });
  const events: Array<[string, object]> = [['messageStart', { role: 'assistant' }]];
  let index = 0;
  if (!behaviour.toolCall || behaviour.text !== undefined) {
    for (const piece of splitText(text, behaviour.chunkCount)) events.push(['contentBlockDelta', { contentBlockIndex: index, delta: { text: piece } }]);
    events.push(['contentBlockStop', { contentBlockIndex: index }]);
    index++;
  }
  if (behaviour.toolCall) {
    events.push(['contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: 'tooluse_fake_1', name: behaviour.toolCall.name } } }]);
    for (const piece of splitText(JSON.stringify(behaviour.toolCall.input), 3)) events.push(['contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: piece } } }]);
    events.push(['contentBlockStop', { contentBlockIndex: index }]);
  }
  events.push(['messageStop', { stopReason: behaviour.toolCall ? 'tool_use' : 'end_turn' }]);
  events.push(['metadata', { usage: usageOf(body, text), metrics: { latencyMs: 42 } }]);
  writeEventStream(res, events, behaviour);
}

/** Each event as AWS frames it: headers naming it, its JSON (with the `p` padding the service adds) as payload. */
function writeEventStream(res: ServerResponse, events: Array<[string, object]>, behaviour: BedrockBehaviour): void {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'fake-request-id' });
  const cut = behaviour.exceptionAfterEvents;
  events.forEach(([type, data], i) => {
    if (cut !== undefined && i >= cut.count) return;
    res.write(frame({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, { ...data, p: 'abcdefghijklmnopqrstuvwxyzABCDEF'.slice(0, 1 + (i % 30)) }));
  });
  if (cut !== undefined) res.write(frame({ ':exception-type': cut.type, ':content-type': 'application/json', ':message-type': 'exception' }, { message: cut.message }));
  res.end();
}

function frame(headers: Record<string, string>, payload: object): Uint8Array {
  const typed = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { type: 'string' as const, value }]));
  return codec.encode({ headers: typed, body: fromUtf8(JSON.stringify(payload)) });
}

// ---------------------------------------------------------------------------------------------
// Invoke: Claude's Messages body, embeddings

function claudeProblem(body: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(body)) if (!CLAUDE_FIELDS.has(key)) return `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`;
  if (body.anthropic_version !== 'bedrock-2023-05-31') return 'Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.';
  if (typeof body.max_tokens !== 'number') return 'Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.';
  return undefined;
}

function invokeClaude(res: ServerResponse, modelId: string, body: Record<string, unknown>, behaviour: BedrockBehaviour, stream: boolean): void {
  const upstream: UpstreamBehaviour = { text: behaviour.text, chunkCount: behaviour.chunkCount };
  if (behaviour.toolCall) upstream.toolCall = { name: behaviour.toolCall.name, arguments: JSON.stringify(behaviour.toolCall.input) };
  const message = anthropicMessageFor(asUpstreamRecord('claude-fake-on-bedrock', body), upstream);
  const tokenHeaders = { 'x-amzn-bedrock-input-token-count': String(message.usage.input_tokens), 'x-amzn-bedrock-output-token-count': String(message.usage.output_tokens) };
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json', ...tokenHeaders });
    res.end(JSON.stringify(message));
    return;
  }
  const events = anthropicStreamEvents(message, behaviour.chunkCount).map(({ data }) => {
    const event = (data as { type: string }).type === 'message_stop'
      ? { ...data, 'amazon-bedrock-invocationMetrics': { inputTokenCount: message.usage.input_tokens, outputTokenCount: message.usage.output_tokens, invocationLatency: 42, firstByteLatency: 7 } }
      : data;
    return ['chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') }] as [string, object];
  });
  writeEventStream(res, events, behaviour);
}

function invokeEmbedding(res: ServerResponse, modelId: string, body: Record<string, unknown>): void {
  const vector = (text: string, size: number) => Array.from({ length: size }, (_, i) => (i === 0 ? text.length : i / size));
  if (/amazon\.titan-embed/.test(modelId)) {
    for (const key of Object.keys(body)) if (!['inputText', 'dimensions', 'normalize', 'embeddingTypes'].includes(key)) return awsError(res, 400, 'ValidationException', `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
    if (typeof body.inputText !== 'string') return awsError(res, 400, 'ValidationException', 'Malformed input request: #: required key [inputText] not found, please reformat your input and try again.');
    const tokens = Math.max(1, Math.ceil(body.inputText.length / 4));
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-bedrock-input-token-count': String(tokens) });
    res.end(JSON.stringify({ embedding: vector(body.inputText, typeof body.dimensions === 'number' ? body.dimensions : 1024), inputTextTokenCount: tokens }));
    return;
  }
  if (/cohere\.embed/.test(modelId)) {
    for (const key of Object.keys(body)) if (!['texts', 'input_type', 'truncate', 'embedding_types', 'images'].includes(key)) return awsError(res, 400, 'ValidationException', `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
    if (!Array.isArray(body.texts) || typeof body.input_type !== 'string') return awsError(res, 400, 'ValidationException', 'Malformed input request: #: required key [input_type] not found, please reformat your input and try again.');
    const texts = body.texts as string[];
    const tokens = texts.reduce((sum, t) => sum + Math.max(1, Math.ceil(t.length / 4)), 0);
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-bedrock-input-token-count': String(tokens) });
    res.end(JSON.stringify({ embeddings: texts.map((t) => vector(t, 1024)), id: 'fake-embed-id', response_type: 'embeddings_floats', texts }));
    return;
  }
  awsError(res, 400, 'ValidationException', `The provided model identifier is invalid.`);
}
