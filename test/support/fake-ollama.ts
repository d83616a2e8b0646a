import type { ServerResponse } from 'node:http';
import { lastUserText, sendJson, startProviderServer, words, type FakeProvider, type ProviderBehaviour, type SeenRequest } from './fake-provider-server.js';

/**
 * A fake of Ollama's native API on loopback: `POST /api/chat`, `/api/generate` (JSON, or
 * newline-delimited JSON streams ending in a `"done": true` line, `application/x-ndjson`) and
 * `/api/embed`. As Ollama does, it streams unless the request says `"stream": false`, answers an
 * unknown model with 404 `{"error": "model \"x\" not found, try pulling it first"}`, refuses what
 * its Go decoder cannot read (a string where it stores an object: tool call arguments; a list
 * where it wants text: message content) with 400 `{"error": "json: cannot unmarshal …"}`, ignores
 * fields it does not know, and reports a failure after the first line as an `{"error"}` line.
 */

export type FakeOllama = FakeProvider<ProviderBehaviour>;

const BUSY = 'server busy, please try again.  maximum pending requests exceeded';

export function startFakeOllama(models: readonly string[]): Promise<FakeOllama> {
  return startProviderServer<ProviderBehaviour>((req, res, behaviour) => {
    const routes = ['/api/chat', '/api/generate', '/api/embed'];
    if (req.method !== 'POST' || !routes.includes(req.path)) return ollamaError(res, 404, '404 page not found');
    if (req.body === undefined) return ollamaError(res, 400, 'invalid character looking for beginning of value');
    if (typeof req.body.model !== 'string' || req.body.model === '') return ollamaError(res, 400, 'model is required');
    const problem = decodeProblem(req.body);
    if (problem !== undefined) return ollamaError(res, 400, problem);
    if (!models.includes(req.body.model)) return ollamaError(res, 404, `model "${req.body.model}" not found, try pulling it first`);
    if (behaviour.status !== undefined && behaviour.status !== 200) return ollamaError(res, behaviour.status, behaviour.errorMessage ?? (behaviour.status === 503 ? BUSY : 'llama runner process has terminated'), behaviour.headers);
    if (req.path === '/api/embed') return embed(res, req.body);
    const lines = req.path === '/api/chat' ? chatLines(req, behaviour) : generateLines(req, behaviour);
    if (req.body.stream === false) return sendJson(res, 200, merge(lines));
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const upTo = behaviour.truncateAfterChunks ?? behaviour.errorAfterChunks ?? lines.length;
    for (const line of lines.slice(0, upTo)) res.write(`${JSON.stringify(line)}\n`);
    if (behaviour.errorAfterChunks !== undefined) res.write(`${JSON.stringify({ error: behaviour.errorMessage ?? 'an error was encountered while running the model: unexpected EOF' })}\n`);
    res.end();
  });
}

function ollamaError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message }, headers);
}

/** What Go's encoding/json refuses in Ollama's request structs. */
function decodeProblem(body: Record<string, unknown>): string | undefined {
  for (const m of (Array.isArray(body.messages) ? body.messages : []) as Array<Record<string, unknown>>) {
    if (m.content !== undefined && typeof m.content !== 'string') return `json: cannot unmarshal ${goType(m.content)} into Go struct field Message.messages.content of type string`;
    for (const call of (m.tool_calls as Array<{ function?: { arguments?: unknown } }> | undefined) ?? []) {
      const args = call.function?.arguments;
      if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
        return `json: cannot unmarshal ${goType(args)} into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments`;
      }
    }
  }
  if (body.options !== undefined && (body.options === null || typeof body.options !== 'object' || Array.isArray(body.options))) return `json: cannot unmarshal ${goType(body.options)} into Go struct field ChatRequest.options of type map[string]interface {}`;
  if (body.format !== undefined && body.format !== 'json' && (typeof body.format !== 'object' || body.format === null)) return 'invalid format: expected "json" or a valid JSON schema';
  return undefined;
}

function goType(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'object' ? 'object' : typeof value;
}

type Line = Record<string, unknown>;

const CREATED_AT = '2026-12-03T06:00:00.000000Z';

function finalLine(model: string, promptTokens: number, outputTokens: number, extra: Line): Line {
  return {
    model, created_at: CREATED_AT, ...extra, done: true, done_reason: 'stop', total_duration: 4_935_886_791, load_duration: 534_986_708,
    prompt_eval_count: promptTokens, prompt_eval_duration: 107_345_000, eval_count: outputTokens, eval_duration: 4_289_432_000,
  };
}

function chatLines(req: SeenRequest, behaviour: ProviderBehaviour): Line[] {
  const body = req.body!;
  const model = String(body.model);
  const messages = (body.messages ?? []) as Array<{ role?: string; content?: string; tool_name?: string }>;
  const last = messages.at(-1);
  const prompt = Math.max(1, Math.ceil(JSON.stringify(messages).length / 4));
  if (behaviour.toolCall && Array.isArray(body.tools) && last?.role === 'user') {
    const call = { function: { name: behaviour.toolCall.name, arguments: JSON.parse(behaviour.toolCall.arguments) as unknown } };
    return [
      { model, created_at: CREATED_AT, message: { role: 'assistant', content: '', tool_calls: [call] }, done: false },
      finalLine(model, prompt, 9, { message: { role: 'assistant', content: '' } }),
    ];
  }
  const text = behaviour.text ?? (last?.role === 'tool' ? `the tool ${last.tool_name ?? '(unnamed)'} said: ${last.content ?? ''}` : `fake reply to: ${lastUserText(messages)}`);
  const pieces = words(text).map((piece): Line => ({ model, created_at: CREATED_AT, message: { role: 'assistant', content: piece }, done: false }));
  return [...pieces, finalLine(model, prompt, pieces.length, { message: { role: 'assistant', content: '' } })];
}

function generateLines(req: SeenRequest, behaviour: ProviderBehaviour): Line[] {
  const body = req.body!;
  const model = String(body.model);
  const text = behaviour.text ?? `fake completion of: ${String(body.prompt)}`;
  const pieces = words(text).map((piece): Line => ({ model, created_at: CREATED_AT, response: piece, done: false }));
  return [...pieces, finalLine(model, Math.max(1, Math.ceil(String(body.prompt).length / 4)), pieces.length, { response: '', context: [1, 2, 3] })];
}

/** The non-streaming answer: the lines' text (or tool calls) in the final line's frame. */
function merge(lines: Line[]): Line {
  const last = { ...lines.at(-1)! };
  const parts = lines.slice(0, -1);
  if ('message' in last) {
    const calls = parts.flatMap((l) => ((l.message as { tool_calls?: unknown[] }).tool_calls ?? []));
    last.message = { role: 'assistant', content: parts.map((l) => (l.message as { content: string }).content).join(''), ...(calls.length > 0 ? { tool_calls: calls } : {}) };
  } else {
    last.response = parts.map((l) => l.response as string).join('');
  }
  return last;
}

function embed(res: ServerResponse, body: Record<string, unknown>): void {
  const inputs = Array.isArray(body.input) ? (body.input as unknown[]) : [body.input];
  sendJson(res, 200, {
    model: body.model,
    embeddings: inputs.map((input, i) => [i, String(input).length, 0.75]),
    total_duration: 14_143_917, load_duration: 1_019_500, prompt_eval_count: inputs.length * 4,
  });
}
