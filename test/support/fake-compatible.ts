import type { ServerResponse } from 'node:http';
import { lastUserText, sendJson, startProviderServer, words, type FakeProvider, type ProviderBehaviour } from './fake-provider-server.js';

/**
 * A fake OpenAI-compatible server that is stricter than OpenAI in the ways the families are:
 * per model, fields it refuses as Mistral does (422 `extra_forbidden`, which Pydantic-based
 * servers answer) and values it does not take. It answers chat completions (JSON and SSE) and
 * records what arrived, so that a test sees each family's renames, drops and headers.
 */

export interface CompatibleBehaviour extends ProviderBehaviour {
  /** Top-level fields this API refuses. */
  refuse?: string[];
  /** Allowed values per field; any other is refused. */
  allow?: Record<string, unknown[]>;
}

export type FakeCompatible = FakeProvider<CompatibleBehaviour>;

export function startFakeCompatible(): Promise<FakeCompatible> {
  return startProviderServer<CompatibleBehaviour>((req, res, behaviour) => {
    if (req.method !== 'POST' || !req.path.endsWith('/chat/completions') || req.body === undefined) return sendJson(res, 404, { detail: 'Not Found' });
    for (const field of behaviour.refuse ?? []) {
      if (Object.hasOwn(req.body, field)) return extraForbidden(res, field);
    }
    for (const [field, values] of Object.entries(behaviour.allow ?? {})) {
      if (Object.hasOwn(req.body, field) && !values.includes(req.body[field])) {
        return sendJson(res, 422, { object: 'error', message: { detail: [{ type: 'enum', loc: ['body', field], msg: `Input should be ${values.map((v) => `'${String(v)}'`).join(' or ')}` }] }, type: 'invalid_request_message_error' });
      }
    }
    const text = behaviour.text ?? `fake reply to: ${lastUserText(req.body.messages)}`;
    const model = String(req.body.model);
    if (req.body.stream === true) return stream(res, model, text);
    sendJson(res, 200, {
      id: 'cmpl-compatible', object: 'chat.completion', created: 1_700_000_000, model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
    });
  });
}

function extraForbidden(res: ServerResponse, field: string): void {
  sendJson(res, 422, { object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', field], msg: 'Extra inputs are not permitted' }] }, type: 'invalid_request_message_error' });
}

function stream(res: ServerResponse, model: string, text: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const base = { id: 'cmpl-compatible', object: 'chat.completion.chunk', created: 1_700_000_000, model };
  for (const piece of words(text)) res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
  res.end('data: [DONE]\n\n');
}
