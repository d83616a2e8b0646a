import { mayCarryUsage, type SseEvent } from '../protocol/index.js';
import type { EventStream } from '../providers/index.js';

/** Reading what an answer says about itself, whatever the operation (chat, completion, embedding). */

export function isStreamAnswer(value: unknown): value is { stream: true; events: EventStream } {
  return typeof value === 'object' && value !== null && (value as { stream?: unknown }).stream === true && 'events' in value;
}

/** Tokens an answer reports: the JSON body of a chat or completion answer, or an embedding response. */
export function answerTokens(value: unknown): number | undefined {
  const body = typeof value === 'object' && value !== null && (value as { stream?: unknown }).stream === false ? (value as { body?: unknown }).body : value;
  return usageTokens(body);
}

/** Tokens a stream event reports (the usage chunk of `stream_options.include_usage`), if any. */
export function eventTokens(event: SseEvent): number | undefined {
  if (!mayCarryUsage(event.data)) return undefined;
  try {
    return usageTokens(JSON.parse(event.data));
  } catch {
    return undefined;
  }
}

/**
 * total_tokens, else prompt + completion, from anything carrying an OpenAI `usage` (a Responses
 * stream's last event carries it inside its `response`).
 */
function usageTokens(body: unknown): number | undefined {
  const holder = body as { usage?: unknown; response?: { usage?: unknown } } | null | undefined;
  const usage = holder?.usage ?? holder?.response?.usage;
  if (usage === null || typeof usage !== 'object') return undefined;
  const u = usage as { total_tokens?: unknown; prompt_tokens?: unknown; completion_tokens?: unknown };
  if (typeof u.total_tokens === 'number') return u.total_tokens;
  const prompt = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const completion = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  return prompt + completion > 0 ? prompt + completion : undefined;
}
