import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicMessageFor, anthropicStreamEvents, splitText, type Behaviour as AnthropicBehaviour, type RecordedRequest } from './fake-upstream.js';

/**
 * A fake of Google's side on 127.0.0.1: the Gemini API (`/v1beta/models/{m}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:batchEmbedContents`, key in `x-goog-api-key`), Vertex AI
 * (`/v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent|…|:predict`,
 * Claude at `publishers/anthropic/models/{m}:rawPredict|:streamRawPredict`) and an OAuth token
 * endpoint (`POST /token`) that checks the service account's signed JWT assertion and issues
 * short-lived access tokens, which Vertex then demands (an unknown or expired one: 401
 * UNAUTHENTICATED). As Google does, it refuses fields it does not know (400 INVALID_ARGUMENT,
 * `Unknown name "…"`), answers errors in Google's shape, and records every request.
 * Shapes follow recorded real answers (vercel/ai packages/google __fixtures__).
 */

export interface GeminiBehaviour {
  /** An error answer in Google's shape: HTTP status, canonical status and message. */
  error?: { code: number; status: string; message: string; details?: unknown[] };
  /** Reply text; default `gemini reply to: <last user text>`. */
  text?: string;
  /** Answer with this function call when the last turn holds no function response. */
  functionCall?: { name: string; args: Record<string, unknown> };
  /** The prompt is blocked (`promptFeedback.blockReason`, no candidates). */
  blockPrompt?: string;
  finishReason?: string;
  usage?: { promptTokenCount: number; candidatesTokenCount: number; cachedContentTokenCount?: number; thoughtsTokenCount?: number };
  /** A thought summary part before the answer. */
  thought?: string;
  /** End the stream after this many events, without the finishReason. */
  truncateAfterEvents?: number;
}

export interface GoogleRequest extends RecordedRequest {
  /** `gemini`, `vertex-gemini`, `vertex-claude` or `token`. */
  api: string;
  /** The method after the colon: generateContent, streamGenerateContent, predict, rawPredict, … */
  action: string;
}

export interface FakeGoogle {
  readonly url: string;
  readonly tokenUri: string;
  readonly apiKey: string;
  readonly requests: GoogleRequest[];
  /** A service account key file's JSON for this fake (its token_uri points here). */
  serviceAccount(projectId?: string): Record<string, string>;
  /** Access tokens issued so far. */
  readonly issuedTokens: number;
  /** Lifetime of the next tokens issued, in seconds (default 3600). */
  tokenLifetimeSeconds: number;
  behave(model: string, behaviour: GeminiBehaviour | AnthropicBehaviour): void;
  close(): Promise<void>;
}

const CLIENT_EMAIL = 'switchyard-test@fake-project.iam.gserviceaccount.com';

const REQUEST_FIELDS = new Set(['contents', 'systemInstruction', 'generationConfig', 'tools', 'toolConfig', 'safetySettings', 'cachedContent', 'labels']);
const GENERATION_FIELDS = new Set([
  'maxOutputTokens', 'temperature', 'topP', 'topK', 'candidateCount', 'stopSequences', 'seed', 'presencePenalty', 'frequencyPenalty',
  'responseMimeType', 'responseSchema', 'responseJsonSchema', 'thinkingConfig', 'responseLogprobs', 'logprobs',
]);
const PART_FIELDS = new Set(['text', 'thought', 'thoughtSignature', 'inlineData', 'fileData', 'functionCall', 'functionResponse']);
const SCHEMA_FIELDS = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties',
  'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum',
]);
const CLAUDE_FIELDS = new Set(['anthropic_version', 'messages', 'max_tokens', 'system', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream', 'tools', 'tool_choice', 'metadata', 'thinking']);

export async function startFakeGoogle(): Promise<FakeGoogle> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const apiKey = `AIzaFake${randomBytes(16).toString('hex')}`;
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const behaviours = new Map<string, GeminiBehaviour & AnthropicBehaviour>();
  const requests: GoogleRequest[] = [];
  const sockets = new Set<Socket>();
  let issued = 0;
  let lifetime = 3600;

  const server: Server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = routeOf(url.pathname);
    let body: Record<string, unknown> | undefined;
    try {
      body = route.api === 'token' ? Object.fromEntries(new URLSearchParams(text)) : text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      return googleError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    const record: GoogleRequest = {
      method: req.method ?? 'GET', path: url.pathname, query: url.search, headers: req.headers, body, model: route.model, receivedAt: Date.now(), api: route.api, action: route.action,
    };
    requests.push(record);
    if (route.api === 'token') return issueToken(res, body ?? {});
    if (route.api === 'none') return googleError(res, 404, 'NOT_FOUND', `The requested URL ${url.pathname} was not found on this server.`);
    // Authentication first, as Google checks it before the body.
    if (route.api === 'gemini') {
      if (req.headers['x-goog-api-key'] !== apiKey) {
        return googleError(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]);
      }
    } else {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const expiry = token === undefined ? undefined : tokens.get(token);
      if (expiry === undefined || expiry <= Date.now()) {
        return googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      }
    }
    const behaviour = behaviours.get(route.model ?? '') ?? {};
    if (behaviour.error) return googleError(res, behaviour.error.code, behaviour.error.status, behaviour.error.message, behaviour.error.details);
    if (route.api === 'vertex-claude') return answerClaude(res, record, behaviour);
    if (route.action === 'batchEmbedContents' || route.action === 'predict') return answerEmbeddings(res, record);
    const unknown = unknownGeminiField(body ?? {}, route.api === 'vertex-gemini');
    if (unknown !== undefined) return googleError(res, 400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${unknown.name}" at '${unknown.at}': Cannot find field.`);
    const contents = (body?.contents ?? []) as Contents;
    if (contents.length === 0) return googleError(res, 400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified');
    if (contents.some((c) => c.role !== 'user' && c.role !== 'model')) return googleError(res, 400, 'INVALID_ARGUMENT', 'Please use a valid role: user, model.');
    const answer = geminiAnswer(body ?? {}, behaviour, route.model ?? 'gemini');
    if (route.action === 'streamGenerateContent') {
      if (url.searchParams.get('alt') !== 'sse') return googleError(res, 400, 'INVALID_ARGUMENT', 'the fake serves streams as SSE only (alt=sse)');
      return streamGemini(res, answer, behaviour);
    }
    if (route.action !== 'generateContent') return googleError(res, 404, 'NOT_FOUND', `unknown method ${route.action}`);
    sendJson(res, 200, answer);
  }

  function issueToken(res: ServerResponse, form: Record<string, unknown>): void {
    const refuse = (description: string) => sendJson(res, 400, { error: 'invalid_grant', error_description: description });
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || typeof form.assertion !== 'string') return refuse('Invalid grant_type or assertion.');
    const [header, payload, signature] = form.assertion.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return refuse('Invalid JWT.');
    if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicPem, Buffer.from(signature, 'base64url'))) return refuse('Invalid JWT Signature.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: string; scope?: string; exp?: number };
    if (claims.iss !== CLIENT_EMAIL) return refuse('Invalid issuer.');
    if (!String(claims.scope).includes('https://www.googleapis.com/auth/cloud-platform')) return refuse('Invalid scope.');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return refuse('Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.');
    const token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    tokens.set(token, Date.now() + lifetime * 1000);
    issued++;
    sendJson(res, 200, { access_token: token, expires_in: lifetime, token_type: 'Bearer' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    tokenUri: `${base}/token`,
    apiKey,
    requests,
    get issuedTokens() { return issued; },
    get tokenLifetimeSeconds() { return lifetime; },
    set tokenLifetimeSeconds(value: number) { lifetime = value; },
    serviceAccount: (projectId = 'fake-project') => ({
      type: 'service_account', project_id: projectId, private_key_id: 'fake-key-id', private_key: privatePem, client_email: CLIENT_EMAIL,
      client_id: '1234567890', token_uri: `${base}/token`, auth_uri: `${base}/auth`,
    }),
    behave: (model, behaviour) => behaviours.set(model, behaviour as GeminiBehaviour & AnthropicBehaviour),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function routeOf(path: string): { api: string; model?: string; action: string } {
  if (path === '/token') return { api: 'token', action: 'token' };
  const gemini = /^\/v1beta\/models\/([^/:]+):(\w+)$/.exec(path);
  if (gemini) return { api: 'gemini', model: decodeURIComponent(gemini[1]!), action: gemini[2]! };
  const vertex = /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/(google|anthropic)\/models\/([^/:]+):(\w+)$/.exec(path);
  if (vertex) return { api: vertex[1] === 'google' ? 'vertex-gemini' : 'vertex-claude', model: decodeURIComponent(vertex[2]!), action: vertex[3]! };
  return { api: 'none', action: '' };
}

function unknownGeminiField(body: Record<string, unknown>, vertex: boolean): { name: string; at: string } | undefined {
  for (const key of Object.keys(body)) if (!REQUEST_FIELDS.has(key) || (key === 'labels' && !vertex)) return { name: key, at: '' };
  for (const key of Object.keys((body.generationConfig ?? {}) as object)) if (!GENERATION_FIELDS.has(key)) return { name: key, at: 'generation_config' };
  const contents = (body.contents ?? []) as Array<{ role?: string; parts?: Array<Record<string, unknown>> }>;
  for (const [i, content] of contents.entries()) {
    for (const part of content.parts ?? []) for (const key of Object.keys(part)) if (!PART_FIELDS.has(key)) return { name: key, at: `contents[${i}].parts[0]` };
  }
  const schema = (body.generationConfig as { responseSchema?: unknown } | undefined)?.responseSchema;
  const inSchema = schemaUnknownField(schema, 'generation_config.response_schema');
  if (inSchema !== undefined) return inSchema;
  const tools = (body.tools ?? []) as Array<{ functionDeclarations?: Array<{ parameters?: unknown }> }>;
  for (const [i, tool] of tools.entries()) {
    for (const [j, fn] of (tool.functionDeclarations ?? []).entries()) {
      const found = schemaUnknownField(fn.parameters, `tools[${i}].function_declarations[${j}].parameters`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function schemaUnknownField(schema: unknown, at: string): { name: string; at: string } | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  const record = schema as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!SCHEMA_FIELDS.has(key)) return { name: key, at };
  for (const [name, value] of Object.entries((record.properties ?? {}) as object)) {
    const found = schemaUnknownField(value, `${at}.properties[${name}].value`);
    if (found !== undefined) return found;
  }
  return schemaUnknownField(record.items, `${at}.items`);
}

type Contents = Array<{ role?: string; parts?: Array<Record<string, unknown>> }>;

function geminiAnswer(body: Record<string, unknown>, behaviour: GeminiBehaviour, model: string): Record<string, unknown> {
  const contents = (body.contents ?? []) as Contents;
  const usage = behaviour.usage ?? { promptTokenCount: Math.max(1, Math.ceil(JSON.stringify(contents).length / 4)), candidatesTokenCount: 7 };
  const usageMetadata = { ...usage, totalTokenCount: usage.promptTokenCount + usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0) };
  if (behaviour.blockPrompt !== undefined) return { promptFeedback: { blockReason: behaviour.blockPrompt }, usageMetadata, modelVersion: model };
  const lastParts = contents.at(-1)?.parts ?? [];
  const answered = lastParts.find((p) => p.functionResponse !== undefined)?.functionResponse as { name: string; response: unknown } | undefined;
  const parts: Array<Record<string, unknown>> = [];
  if (behaviour.thought !== undefined) parts.push({ text: behaviour.thought, thought: true });
  if (behaviour.functionCall !== undefined && answered === undefined) parts.push({ functionCall: behaviour.functionCall });
  else {
    const userText = lastParts.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
    parts.push({ text: behaviour.text ?? (answered ? `${answered.name} said ${JSON.stringify(answered.response)}` : `gemini reply to: ${userText}`) });
  }
  return {
    candidates: [{ content: { parts, role: 'model' }, finishReason: behaviour.finishReason ?? 'STOP', index: 0 }],
    usageMetadata,
    modelVersion: model,
    responseId: 'fake-response-1',
  };
}

async function streamGemini(res: ServerResponse, answer: Record<string, unknown>, behaviour: GeminiBehaviour): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const candidates = answer.candidates as Array<{ content: { parts: Array<Record<string, unknown>> }; finishReason: string }> | undefined;
  const events: object[] = [];
  if (candidates === undefined) events.push(answer);
  else {
    const parts = candidates[0]!.content.parts;
    const pieces: Array<Record<string, unknown>> = [];
    for (const part of parts) {
      if (typeof part.text === 'string' && part.thought !== true) for (const piece of splitText(part.text)) pieces.push({ text: piece });
      else pieces.push(part);
    }
    pieces.forEach((part, i) => {
      const last = i === pieces.length - 1;
      // Google writes its SSE JSON with spaces after the colons.
      events.push({
        candidates: [{ content: { parts: [part], role: 'model' }, ...(last ? { finishReason: candidates[0]!.finishReason } : {}), index: 0 }],
        usageMetadata: last ? answer.usageMetadata : { promptTokenCount: (answer.usageMetadata as { promptTokenCount: number }).promptTokenCount },
        modelVersion: answer.modelVersion,
      });
    });
  }
  for (const [i, event] of events.entries()) {
    if (behaviour.truncateAfterEvents !== undefined && i >= behaviour.truncateAfterEvents) break;
    res.write(`data: ${JSON.stringify(event, null, 1).replace(/\n\s*/g, ' ')}\r\n\r\n`);
  }
  res.end();
}

function answerEmbeddings(res: ServerResponse, record: GoogleRequest): void {
  const body = record.body ?? {};
  if (record.action === 'batchEmbedContents') {
    const list = (body.requests ?? []) as Array<{ model?: string; content?: { parts?: Array<{ text?: string }> } }>;
    if (list.some((r) => r.model !== `models/${record.model}`)) return googleError(res, 400, 'INVALID_ARGUMENT', 'Each request must name the model of the batch (models/…).');
    return sendJson(res, 200, { embeddings: list.map((r) => ({ values: [String(r.content?.parts?.[0]?.text ?? '').length, 0.25, -0.5] })) });
  }
  for (const key of Object.keys(body)) if (key !== 'instances' && key !== 'parameters') return googleError(res, 400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`);
  const instances = (body.instances ?? []) as Array<{ content?: string }>;
  sendJson(res, 200, {
    predictions: instances.map((i) => ({ embeddings: { values: [String(i.content ?? '').length, 0.25, -0.5], statistics: { token_count: 3, truncated: false } } })),
    metadata: { billableCharacterCount: 10 },
  });
}

async function answerClaude(res: ServerResponse, record: GoogleRequest, behaviour: AnthropicBehaviour): Promise<void> {
  const body = record.body ?? {};
  for (const key of Object.keys(body)) {
    if (!CLAUDE_FIELDS.has(key)) {
      return sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: `${key}: Extra inputs are not permitted` } });
    }
  }
  if (body.anthropic_version !== 'vertex-2023-10-16') {
    return sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic_version: Input should be \'vertex-2023-10-16\'' } });
  }
  const message = anthropicMessageFor(record, behaviour);
  if (record.action === 'rawPredict') return sendJson(res, 200, message);
  if (record.action !== 'streamRawPredict') return googleError(res, 404, 'NOT_FOUND', `unknown method ${record.action}`);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  for (const { event, data } of anthropicStreamEvents(message)) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

function googleError(res: ServerResponse, code: number, status: string, message: string, details?: unknown[]): void {
  sendJson(res, code, { error: { code, message, status, ...(details ? { details } : {}) } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
