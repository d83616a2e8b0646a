/**
 * One row of `LiteLLM_SpendLogs`, with LiteLLM's column names: what a call cost and who made it.
 * Times are milliseconds since the epoch (stored as UTC in TIMESTAMP(3) without a zone, as Prisma does).
 * `api_key` (a virtual key's SHA-256 hex, LiteLLM's `token`), `user` (its user_id) and `team_id`
 * say which virtual key called; empty for the master key.
 */
export interface SpendRow {
  request_id: string;
  call_type: string;
  api_key: string;
  /** USD; 0 with `metadata.spend_unknown: true` when the deployment has no price (the column is NOT NULL in LiteLLM's schema). */
  spend: number;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  startTime: number;
  endTime: number;
  request_duration_ms: number;
  completionStartTime: number | null;
  model: string;
  model_id: string;
  model_group: string;
  custom_llm_provider: string;
  api_base: string;
  user: string;
  metadata: Record<string, unknown>;
  request_tags: readonly string[];
  team_id: string | null;
  organization_id: string | null;
  end_user: string | null;
  status: string;
  /** LiteLLM's text column: `True` when the response cache answered the call (then `spend` is 0), else `False`. */
  cache_hit: string;
  /** The call's response-cache key when it was cacheable, else '' (LiteLLM writes `Cache OFF` when caching is off). */
  cache_key: string;
}

/**
 * How a column travels in a batch (spend-batch.ts): `text` as itself; `shared` (a text that repeats
 * from row to row: the model, the key, the status) and `json` (jsonb) as an index into the batch's
 * dictionary of distinct values; numbers as numbers; `time` as milliseconds since the epoch.
 */
export type SpendEncoding = 'text' | 'shared' | 'json' | 'integer' | 'double' | 'time';

/** The columns written, and how each travels. */
export const SPEND_COLUMNS: ReadonlyArray<readonly [keyof SpendRow, SpendEncoding]> = [
  ['request_id', 'text'], ['call_type', 'shared'], ['api_key', 'shared'], ['spend', 'double'],
  ['total_tokens', 'integer'], ['prompt_tokens', 'integer'], ['completion_tokens', 'integer'],
  ['startTime', 'time'], ['endTime', 'time'], ['request_duration_ms', 'integer'],
  ['completionStartTime', 'time'], ['model', 'shared'], ['model_id', 'shared'], ['model_group', 'shared'],
  ['custom_llm_provider', 'shared'], ['api_base', 'shared'], ['user', 'shared'], ['metadata', 'json'], ['request_tags', 'json'],
  ['team_id', 'shared'], ['organization_id', 'shared'], ['end_user', 'shared'], ['status', 'shared'],
  ['cache_hit', 'shared'], ['cache_key', 'text'],
];
