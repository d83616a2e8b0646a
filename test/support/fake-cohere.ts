import type { ServerResponse } from 'node:http';
import { lastUserText, sendJson, startProviderServer, words, type FakeProvider, type ProviderBehaviour, type SeenRequest } from './fake-provider-server.js';

/**
 * A fake of Cohere's v2 API on loopback: `POST /v2/chat` (JSON, and SSE streams with Cohere's
 * event types: message-start, content-delta, tool-plan-delta, tool-call-start/-delta/-end,
 * message-end) and `POST /v2/embed`, shaped after recorded real answers (vercel/ai's Cohere
 * fixtures). Like Cohere it checks the bearer key (401), refuses a field it does not know and the
 * shapes it does not take (400 `{"message": "invalid request: …"}`), wants `input_type` for v3+
 * embedding models, and answers errors as `{"id", "message"}`.
 */

const CHAT_FIELDS = new Set([
  'model', 'messages', 'tools', 'documents', 'citation_options', 'response_format', 'safety_mode', 'max_tokens', 'stop_sequences', 'temperature',
  'seed', 'frequency_penalty', 'presence_penalty', 'k', 'p', 'logprobs', 'tool_choice', 'strict_tools', 'thinking', 'stream', 'priority',
]);
const EMBED_FIELDS = new Set(['model', 'texts', 'images', 'inputs', 'input_type', 'embedding_types', 'output_dimension', 'max_tokens', 'truncate', 'priority']);
const TRIAL_LIMIT = 'You are using a Trial key, which is limited to 10 API calls / minute. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits';

export type FakeCohere = FakeProvider<ProviderBehaviour>;

export function startFakeCohere(apiKey: string): Promise<FakeCohere> {
  return startProviderServer<ProviderBehaviour>((req, res, behaviour) => {
    if (req.headers.authorization !== `Bearer ${apiKey}`) return cohereError(res, 401, 'invalid api token');
    if (req.method !== 'POST' || (req.path !== '/v2/chat' && req.path !== '/v2/embed')) return cohereError(res, 404, `route ${req.method} ${req.path} not found`);
    if (req.body === undefined) return cohereError(res, 400, 'invalid request: the body is not a JSON object');
    const problem = req.path === '/v2/chat' ? chatProblem(req.body) : embedProblem(req.body);
    if (problem !== undefined) return cohereError(res, 400, `invalid request: ${problem}`);
    if (behaviour.status !== undefined && behaviour.status !== 200) {
      return cohereError(res, behaviour.status, behaviour.errorMessage ?? (behaviour.status === 429 ? TRIAL_LIMIT : 'internal server error'), behaviour.headers);
    }
    if (req.path === '/v2/embed') return embed(res, req.body);
    const answer = answerFor(req, behaviour);
    if (req.body.stream === true) return stream(res, answer, behaviour);
    sendJson(res, 200, answer);
  });
}

function cohereError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { id: 'f2b3c1d0-fake', message }, headers);
}

function chatProblem(body: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(body)) if (!CHAT_FIELDS.has(key)) return `unknown field: parameter '${key}' is not a valid field`;
  if (typeof body.model !== 'string') return 'model is required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages must not be empty';
  for (const [i, m] of (body.messages as Array<Record<string, unknown>>).entries()) {
    if (!['system', 'user', 'assistant', 'tool'].includes(String(m.role))) return `messages[${i}].role must be one of system, user, assistant, tool`;
    if (m.role === 'tool' && typeof m.tool_call_id !== 'string') return `messages[${i}].tool_call_id is required for tool messages`;
    for (const call of (m.tool_calls as Array<{ function?: { arguments?: unknown } }> | undefined) ?? []) {
      if (typeof call.function?.arguments !== 'string') return `messages[${i}].tool_calls[].function.arguments must be a string`;
    }
    if (m.role === 'assistant' && m.content === undefined && m.tool_calls === undefined) return `messages[${i}] must have content or tool_calls`;
  }
  if (body.tool_choice !== undefined && body.tool_choice !== 'REQUIRED' && body.tool_choice !== 'NONE') return 'tool_choice must be one of REQUIRED, NONE';
  return undefined;
}

function embedProblem(body: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(body)) if (!EMBED_FIELDS.has(key)) return `unknown field: parameter '${key}' is not a valid field`;
  if (!Array.isArray(body.texts)) return 'texts is required';
  if (/v3|v4/.test(String(body.model)) && typeof body.input_type !== 'string') return 'valid input_type must be provided with the provided model';
  return undefined;
}

interface Answer {
  id: string;
  finish_reason: string;
  message: { role: 'assistant'; content?: Array<{ type: 'text'; text: string }>; tool_plan?: string; tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> };
  usage: { billed_units: { input_tokens: number; output_tokens: number }; tokens: { input_tokens: number; output_tokens: number } };
}

function answerFor(req: SeenRequest, behaviour: ProviderBehaviour): Answer {
  const messages = req.body?.messages as Array<{ role: string; content?: unknown }>;
  const last = messages.at(-1);
  const input = Math.max(1, Math.ceil(JSON.stringify(messages).length / 4));
  const usage = (output: number) => ({ billed_units: { input_tokens: input, output_tokens: output }, tokens: { input_tokens: input + 7, output_tokens: output } });
  if (behaviour.toolCall && Array.isArray(req.body?.tools) && last?.role === 'user') {
    return {
      id: 'c0here-tool', finish_reason: 'TOOL_CALL',
      message: { role: 'assistant', tool_plan: `I will use the ${behaviour.toolCall.name} tool.`, tool_calls: [{ id: `${behaviour.toolCall.name}_fake01`, type: 'function', function: behaviour.toolCall }] },
      usage: usage(12),
    };
  }
  const text = behaviour.text ?? (last?.role === 'tool' ? `the tool said: ${typeof last.content === 'string' ? last.content : JSON.stringify(last.content)}` : `fake reply to: ${lastUserText(messages)}`);
  return { id: 'c0here-text', finish_reason: 'COMPLETE', message: { role: 'assistant', content: [{ type: 'text', text }] }, usage: usage(Math.max(1, Math.ceil(text.length / 4))) };
}

function stream(res: ServerResponse, answer: Answer, behaviour: ProviderBehaviour): void {
  const events: Array<Record<string, unknown>> = [
    { id: answer.id, type: 'message-start', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } },
  ];
  const call = answer.message.tool_calls?.[0];
  if (call !== undefined) {
    for (const piece of words(answer.message.tool_plan ?? '')) events.push({ type: 'tool-plan-delta', delta: { message: { tool_plan: piece } } });
    events.push({ type: 'tool-call-start', index: 0, delta: { message: { tool_calls: { id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } } } } });
    for (const piece of call.function.arguments.match(/.{1,6}/gs) ?? []) events.push({ type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: piece } } } } });
    events.push({ type: 'tool-call-end', index: 0 });
  } else {
    events.push({ type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } });
    for (const piece of words(answer.message.content?.[0]?.text ?? '')) events.push({ type: 'content-delta', index: 0, delta: { message: { content: { text: piece } } } });
    events.push({ type: 'content-end', index: 0 });
  }
  events.push({ type: 'message-end', delta: { finish_reason: answer.finish_reason, usage: answer.usage } });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const sent = behaviour.truncateAfterChunks === undefined ? events : events.slice(0, behaviour.truncateAfterChunks);
  for (const event of sent) res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}

function embed(res: ServerResponse, body: Record<string, unknown>): void {
  const texts = body.texts as string[];
  sendJson(res, 200, {
    id: 'c0here-embed',
    texts,
    embeddings: { float: texts.map((text, i) => [i, text.length, 0.25]) },
    meta: { api_version: { version: '2' }, billed_units: { input_tokens: texts.length * 3 } },
    response_type: 'embeddings_by_type',
  });
}
