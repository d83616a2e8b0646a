/**
 * A call's tokens by kind, however its API reported them. `input` is every input token, the
 * cached ones included (OpenAI's `prompt_tokens` already counts them; Anthropic's `input_tokens`
 * does not, so its cache reads and writes are added); `cacheRead` and `cacheWrite` are parts of
 * it priced at their own rates. `output` includes reasoning tokens (both APIs count them there).
 */
export interface CallUsage {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

type Bag = Record<string, unknown>;

function bag(value: unknown): Bag | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Bag : undefined;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * OpenAI chat / completions / embeddings `usage` (`prompt_tokens_details.cached_tokens`; some
 * OpenAI-compatible servers also report `cache_creation_input_tokens` or `cache_write_tokens`).
 */
export function openAIUsage(usage: unknown): CallUsage | undefined {
  const u = bag(usage);
  if (u === undefined) return undefined;
  const details = bag(u.prompt_tokens_details);
  const input = count(u.prompt_tokens);
  return {
    input,
    output: count(u.completion_tokens),
    cacheRead: Math.min(input, count(details?.cached_tokens)),
    cacheWrite: Math.min(input, count(details?.cache_write_tokens ?? u.cache_creation_input_tokens)),
  };
}

/** The Responses API's `usage` (`input_tokens_details.cached_tokens`; output includes reasoning). */
export function responsesUsage(usage: unknown): CallUsage | undefined {
  const u = bag(usage);
  if (u === undefined) return undefined;
  const input = count(u.input_tokens);
  return { input, output: count(u.output_tokens), cacheRead: Math.min(input, count(bag(u.input_tokens_details)?.cached_tokens)), cacheWrite: 0 };
}

/**
 * Anthropic's `usage`: `input_tokens` is the uncached part only. A stream reports it in pieces
 * (`message_start` has the input, `message_delta` the output and, on newer models, the input
 * again), so a report without input keeps the input already known.
 */
export function anthropicUsage(usage: unknown, previous?: CallUsage): CallUsage | undefined {
  const u = bag(usage);
  if (u === undefined) return previous;
  const hasInput = u.input_tokens != null || u.cache_read_input_tokens != null || u.cache_creation_input_tokens != null;
  if (!hasInput && previous !== undefined) return { ...previous, output: count(u.output_tokens) };
  const cacheRead = count(u.cache_read_input_tokens);
  const cacheWrite = count(u.cache_creation_input_tokens);
  return { input: count(u.input_tokens) + cacheRead + cacheWrite, output: count(u.output_tokens), cacheRead, cacheWrite };
}
