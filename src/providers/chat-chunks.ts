import type { ChatCompletionChunk, Completion, FinishReason, SseEvent, Usage } from '../protocol/index.js';

/**
 * Writes the OpenAI chunks a translated stream sends (providers whose own stream is another
 * shape: Cohere, Ollama): chat chunks, or text completion chunks for `/v1/completions`. Every
 * chunk shares its frame (id, created, model), written once.
 */
export class ChunkWriter {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly options: { id: string; model: string; includeUsage: boolean; text?: boolean },
  ) {}

  role(): SseEvent {
    return this.chat({ role: 'assistant', content: '' }, null);
  }

  content(text: string): SseEvent {
    return this.options.text === true ? this.textChunk(text, null) : this.chat({ content: text }, null);
  }

  reasoning(text: string): SseEvent {
    return this.chat({ reasoning_content: text }, null);
  }

  /** A tool call's first chunk (its id and name); `args` may already hold all of its arguments. */
  toolCall(index: number, id: string, name: string, args: string): SseEvent {
    return this.chat({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: args } }] }, null);
  }

  toolArguments(index: number, args: string): SseEvent {
    return this.chat({ tool_calls: [{ index, function: { arguments: args } }] }, null);
  }

  /** The finish chunk, then the usage chunk when the caller asked for it. */
  finish(reason: FinishReason, usage: Usage): SseEvent[] {
    const out = [this.options.text === true ? this.textChunk('', reason) : this.chat({}, reason)];
    if (this.options.includeUsage) {
      const object = this.options.text === true ? 'text_completion' : 'chat.completion.chunk';
      out.push({ data: JSON.stringify({ id: this.options.id, object, created: this.created, model: this.options.model, choices: [], usage }) });
    }
    return out;
  }

  private chat(delta: ChatCompletionChunk['choices'][number]['delta'], finish: FinishReason): SseEvent {
    const chunk: ChatCompletionChunk = {
      id: this.options.id, object: 'chat.completion.chunk', created: this.created, model: this.options.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
    if (this.options.includeUsage) chunk.usage = null;
    return { data: JSON.stringify(chunk) };
  }

  private textChunk(text: string, finish: FinishReason): SseEvent {
    const chunk: Completion = {
      id: this.options.id, object: 'text_completion', created: this.created, model: this.options.model,
      choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
    };
    return { data: JSON.stringify(chunk) };
  }
}

export function usageOf(prompt: number, completion: number, cached?: number): Usage {
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (cached !== undefined) usage.prompt_tokens_details = { cached_tokens: cached };
  return usage;
}
