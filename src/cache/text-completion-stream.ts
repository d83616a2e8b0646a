import type { SseEvent } from '../protocol/index.js';

interface ChoiceParts {
  text: string;
  finishReason: string | null;
}

/**
 * The text completion (`/v1/completions`) a stream of its chunks amounts to. `result()` is
 * undefined unless every choice ended (a finish_reason): a partial stream is never an answer.
 * A stream that carried logprobs is not assembled (undefined): they are not kept, and an answer
 * without them must not be served to a request that asked for them.
 */
export class TextCompletionAssembly {
  private id = '';
  private model = '';
  private created = 0;
  private fingerprint: unknown;
  private usage: unknown;
  private readonly choices = new Map<number, ChoiceParts>();
  private unreadable = false;

  add(event: SseEvent): void {
    if (event.data === '[DONE]') return;
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(event.data) as Record<string, unknown>;
    } catch {
      this.unreadable = true;
      return;
    }
    if (typeof chunk.id === 'string' && this.id === '') this.id = chunk.id;
    if (typeof chunk.model === 'string' && this.model === '') this.model = chunk.model;
    if (typeof chunk.created === 'number' && this.created === 0) this.created = chunk.created;
    if (chunk.system_fingerprint != null) this.fingerprint = chunk.system_fingerprint;
    if (chunk.usage != null) this.usage = chunk.usage;
    if (!Array.isArray(chunk.choices)) return;
    for (const raw of chunk.choices as Array<Record<string, unknown>>) {
      const index = typeof raw.index === 'number' ? raw.index : 0;
      let choice = this.choices.get(index);
      if (choice === undefined) {
        choice = { text: '', finishReason: null };
        this.choices.set(index, choice);
      }
      if (typeof raw.text === 'string') choice.text += raw.text;
      if (raw.logprobs != null) this.unreadable = true;
      if (typeof raw.finish_reason === 'string') choice.finishReason = raw.finish_reason;
    }
  }

  result(): Record<string, unknown> | undefined {
    if (this.unreadable || this.choices.size === 0) return undefined;
    const parts = [...this.choices.entries()].sort(([a], [b]) => a - b);
    if (parts.some(([, c]) => c.finishReason === null)) return undefined;
    const choices = parts.map(([index, c]) => ({ text: c.text, index, logprobs: null, finish_reason: c.finishReason }));
    const body: Record<string, unknown> = { id: this.id, object: 'text_completion', created: this.created, model: this.model, choices };
    if (this.fingerprint !== undefined) body.system_fingerprint = this.fingerprint;
    if (this.usage !== undefined) body.usage = this.usage;
    return body;
  }
}

interface Choice {
  index?: number;
  text?: unknown;
  finish_reason?: unknown;
}

/**
 * A cached text completion as the chunks a stream of it would have been: per choice, one chunk
 * with its whole text and one with its finish_reason; then the usage chunk when the caller asked
 * for it (`stream_options.include_usage`).
 */
export function textCompletionChunks(body: Record<string, unknown>, includeUsage: boolean): SseEvent[] {
  const head = { id: body.id, object: 'text_completion', created: body.created, model: body.model, system_fingerprint: body.system_fingerprint };
  const events: SseEvent[] = [];
  const chunk = (choices: unknown[], extra: object = {}): void => {
    events.push({ data: JSON.stringify({ ...head, choices, ...extra }) });
  };
  for (const choice of (Array.isArray(body.choices) ? body.choices : []) as Choice[]) {
    const index = choice.index ?? 0;
    chunk([{ text: typeof choice.text === 'string' ? choice.text : '', index, logprobs: null, finish_reason: null }]);
    chunk([{ text: '', index, logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }]);
  }
  if (includeUsage && body.usage !== undefined) chunk([], { usage: body.usage });
  return events;
}
