import type { SseEvent } from '../protocol/index.js';

interface Choice {
  index?: number;
  message?: Record<string, unknown>;
  finish_reason?: unknown;
}

/**
 * A cached chat completion as the OpenAI chunks a stream of it would have been: per choice, one
 * chunk with the whole message (role, content, tool calls each with its index), then one with its
 * finish_reason; then the usage chunk when the caller asked for it (`stream_options.include_usage`).
 */
export function chatCompletionChunks(body: Record<string, unknown>, includeUsage: boolean): SseEvent[] {
  const head = { id: body.id, object: 'chat.completion.chunk', created: body.created, model: body.model, system_fingerprint: body.system_fingerprint };
  const events: SseEvent[] = [];
  const chunk = (choices: unknown[], extra: object = {}): void => {
    events.push({ data: JSON.stringify({ ...head, choices, ...extra }) });
  };
  for (const choice of (Array.isArray(body.choices) ? body.choices : []) as Choice[]) {
    const index = choice.index ?? 0;
    const message = choice.message ?? {};
    const delta: Record<string, unknown> = { role: message.role ?? 'assistant', content: message.content ?? '' };
    if (typeof message.refusal === 'string') delta.refusal = message.refusal;
    if (Array.isArray(message.tool_calls)) {
      delta.tool_calls = (message.tool_calls as object[]).map((call, at) => ({ index: at, ...call }));
    }
    chunk([{ index, delta, logprobs: null, finish_reason: null }]);
    chunk([{ index, delta: {}, logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }]);
  }
  if (includeUsage && body.usage !== undefined) chunk([], { usage: body.usage });
  return events;
}
