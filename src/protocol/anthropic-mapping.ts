import type { AnthropicStopReason, AnthropicUsage } from './anthropic-types.js';
import type { FinishReason, Usage } from './openai.js';

/** The two small tables both translation directions share: why a turn ended, and token counts. */

const FINISH_OF_STOP: Record<AnthropicStopReason, Exclude<FinishReason, null>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function finishReasonOf(stop: string | null | undefined): FinishReason {
  if (stop == null) return null;
  return FINISH_OF_STOP[stop as AnthropicStopReason] ?? 'stop';
}

export function stopReasonOf(finish: string | null | undefined): AnthropicStopReason | null {
  switch (finish) {
    case null: case undefined: return null;
    case 'length': return 'max_tokens';
    case 'tool_calls': case 'function_call': return 'tool_use';
    case 'content_filter': return 'refusal';
    default: return 'end_turn';
  }
}

/**
 * Anthropic counts cached input apart from `input_tokens`; OpenAI's `prompt_tokens` is all of the
 * input with the cached share in `prompt_tokens_details`. The raw cache counters ride along too
 * (as LiteLLM reports them), so nothing is lost.
 */
export function openaiUsageOf(usage: Partial<AnthropicUsage>): Usage {
  const read = usage.cache_read_input_tokens ?? 0;
  const creation = usage.cache_creation_input_tokens ?? 0;
  const prompt = (usage.input_tokens ?? 0) + read + creation;
  const completion = usage.output_tokens ?? 0;
  const result: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (usage.cache_read_input_tokens != null || usage.cache_creation_input_tokens != null) {
    result.prompt_tokens_details = { cached_tokens: read, cache_creation_tokens: creation };
    result.cache_read_input_tokens = read;
    result.cache_creation_input_tokens = creation;
  }
  return result;
}

/** The reverse: OpenAI's cached share becomes `cache_read_input_tokens`. */
export function anthropicUsageOf(usage: Partial<Usage> | null | undefined): AnthropicUsage {
  const prompt = usage?.prompt_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, prompt - cached),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}
