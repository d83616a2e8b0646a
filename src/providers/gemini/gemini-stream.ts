import { randomId, upstreamFailure } from '../../core/index.js';
import { parseEventData, type ChatCompletionChunk, type EventTranslator, type FinishReason, type SseEvent, type Usage } from '../../protocol/index.js';
import { finishReasonOfGemini, safetyBlock, toolCallOf, usageOfGemini } from './gemini-response.js';
import type { GeminiResponse } from './gemini-types.js';

export interface GeminiStreamOptions {
  /** `stream_options.include_usage`: a last chunk with `choices: []` and the usage. */
  includeUsage: boolean;
  /** The model name to show until the upstream names its version. */
  model: string;
  label: string;
}

/**
 * Gemini `streamGenerateContent?alt=sse` → OpenAI chat completion chunks. Each Gemini event is a
 * whole GenerateContentResponse holding the next parts: text parts become `content` deltas,
 * thought parts `reasoning_content`, and each `functionCall` one tool call sent whole (Gemini
 * streams a call in one piece; its arguments go out in the call's first chunk). The event with a
 * `finishReason` ends the choice; `usageMetadata` is cumulative, so the last one counts. A stream
 * that ends without a finish reason was cut short and is thrown as the upstream's failure.
 */
export class GeminiToOpenAIStream implements EventTranslator {
  private readonly id = `chatcmpl-${randomId(12)}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private model: string;
  private started = false;
  private finished = false;
  /** Tool calls seen so far, per choice: the OpenAI index of the next one. */
  private readonly toolCount = new Map<number, number>();
  private usage: Usage | undefined;

  constructor(private readonly options: GeminiStreamOptions) {
    this.model = options.model;
  }

  push(event: SseEvent): SseEvent[] {
    const data = parseEventData(event, this.options.label) as GeminiResponse;
    if (!this.started) {
      // Nothing has been sent yet: a blocked prompt or answer is still a clean error.
      const blocked = safetyBlock(data, this.options.label);
      if (blocked !== undefined) throw blocked;
      if (typeof data.modelVersion === 'string') this.model = data.modelVersion;
    }
    const out: SseEvent[] = [];
    if (!this.started) {
      this.started = true;
      out.push(this.chunk(0, { role: 'assistant', content: '' }, null));
    }
    if (data.usageMetadata !== undefined) this.usage = usageOfGemini(data.usageMetadata);
    for (const [i, candidate] of (data.candidates ?? []).entries()) {
      const index = candidate.index ?? i;
      for (const part of candidate.content?.parts ?? []) {
        const call = toolCallOf(part);
        if (call !== undefined) {
          const toolIndex = this.toolCount.get(index) ?? 0;
          this.toolCount.set(index, toolIndex + 1);
          out.push(this.chunk(index, { tool_calls: [{ index: toolIndex, ...call }] }, null));
        } else if (typeof part.text === 'string' && part.text !== '') {
          out.push(this.chunk(index, part.thought === true ? { reasoning_content: part.text } : { content: part.text }, null));
        }
      }
      if (candidate.finishReason !== undefined) {
        this.finished = true;
        out.push(this.chunk(index, {}, finishReasonOfGemini(candidate.finishReason, (this.toolCount.get(index) ?? 0) > 0)));
      }
    }
    return out;
  }

  end(): SseEvent[] {
    if (!this.finished) throw upstreamFailure('upstream_error', `${this.options.label} ended the stream without a finishReason: the answer was cut short`);
    if (!this.options.includeUsage) return [];
    const chunk: ChatCompletionChunk = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: this.usage ?? usageOfGemini(undefined) };
    return [{ data: JSON.stringify(chunk) }];
  }

  private chunk(index: number, delta: ChatCompletionChunk['choices'][number]['delta'], finish: FinishReason): SseEvent {
    const chunk: ChatCompletionChunk = {
      id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index, delta, finish_reason: finish }],
    };
    if (this.options.includeUsage) chunk.usage = null;
    return { data: JSON.stringify(chunk) };
  }
}
