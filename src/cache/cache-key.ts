import { createHash } from 'node:crypto';

/**
 * The fields of a request that decide its answer. The key is over these alone, so that the
 * request id, `user`, `metadata`, the stream flag and stream options, and the gateway's own fields
 * (taken out before this) never split one answer into several entries.
 */
const ANSWER_FIELDS = [
  'messages', 'prompt', 'input', 'suffix', 'tools', 'tool_choice', 'functions', 'function_call', 'parallel_tool_calls',
  'response_format', 'temperature', 'top_p', 'top_k', 'n', 'best_of', 'seed', 'stop', 'max_tokens', 'max_completion_tokens',
  'frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'echo', 'reasoning_effort',
  'modalities', 'audio', 'prediction', 'dimensions', 'encoding_format', 'web_search_options',
] as const;

/**
 * `<call type>:<sha256 hex>` over the model group and the answer fields, as canonical JSON (keys
 * sorted at every depth, so that `{a, b}` and `{b, a}` are one entry). The call type keeps a chat
 * answer from ever being served to an embedding request. Documented in docs/caching.md.
 */
export function cacheKey(callType: string, modelGroup: string, body: object): string {
  const record = body as Record<string, unknown>;
  const picked: Record<string, unknown> = { model: modelGroup };
  for (const field of ANSWER_FIELDS) if (record[field] !== undefined) picked[field] = record[field];
  return `${callType}:${createHash('sha256').update(canonicalJson(picked)).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}
