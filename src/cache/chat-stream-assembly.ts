import type { SseEvent } from '../protocol/index.js';

interface ToolCallParts {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChoiceParts {
  role: string;
  content: string | null;
  refusal: string | null;
  toolCalls: Map<number, ToolCallParts>;
  finishReason: string | null;
}

/**
 * Builds the chat completion a stream of OpenAI chunks amounts to, so that a streamed answer can
 * be served later to streaming and non-streaming callers alike. `result()` is undefined unless
 * every choice ended (a finish_reason): a partial stream is never an answer.
 */
export class ChatStreamAssembly {
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
    for (const raw of chunk.choices as Array<Record<string, unknown>>) this.addChoice(raw);
  }

  private addChoice(raw: Record<string, unknown>): void {
    const index = typeof raw.index === 'number' ? raw.index : 0;
    let choice = this.choices.get(index);
    if (choice === undefined) {
      choice = { role: 'assistant', content: null, refusal: null, toolCalls: new Map(), finishReason: null };
      this.choices.set(index, choice);
    }
    const delta = (raw.delta ?? {}) as Record<string, unknown>;
    if (typeof delta.role === 'string') choice.role = delta.role;
    if (typeof delta.content === 'string') choice.content = (choice.content ?? '') + delta.content;
    if (typeof delta.refusal === 'string') choice.refusal = (choice.refusal ?? '') + delta.refusal;
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls as Array<Record<string, unknown>>) {
        const at = typeof call.index === 'number' ? call.index : 0;
        let parts = choice.toolCalls.get(at);
        if (parts === undefined) {
          parts = { name: '', arguments: '' };
          choice.toolCalls.set(at, parts);
        }
        if (typeof call.id === 'string') parts.id = call.id;
        if (typeof call.type === 'string') parts.type = call.type;
        const fn = (call.function ?? {}) as { name?: unknown; arguments?: unknown };
        if (typeof fn.name === 'string') parts.name += fn.name;
        if (typeof fn.arguments === 'string') parts.arguments += fn.arguments;
      }
    }
    if (typeof raw.finish_reason === 'string') choice.finishReason = raw.finish_reason;
  }

  result(): Record<string, unknown> | undefined {
    if (this.unreadable || this.choices.size === 0) return undefined;
    const choices = [...this.choices.entries()].sort(([a], [b]) => a - b).map(([index, c]) => {
      if (c.finishReason === null) return undefined;
      const message: Record<string, unknown> = { role: c.role, content: c.content, refusal: c.refusal };
      if (c.toolCalls.size > 0) {
        message.tool_calls = [...c.toolCalls.entries()].sort(([a], [b]) => a - b)
          .map(([, t]) => ({ id: t.id, type: t.type ?? 'function', function: { name: t.name, arguments: t.arguments } }));
      }
      return { index, message, logprobs: null, finish_reason: c.finishReason };
    });
    if (choices.some((c) => c === undefined)) return undefined;
    const body: Record<string, unknown> = { id: this.id, object: 'chat.completion', created: this.created, model: this.model, choices };
    if (this.fingerprint !== undefined) body.system_fingerprint = this.fingerprint;
    if (this.usage !== undefined) body.usage = this.usage;
    return body;
  }
}
