/**
 * One row of `LiteLLM_SpendLogs`, with LiteLLM's column names: what a call cost and who made it.
 * Times are ISO-8601 UTC strings (stored as TIMESTAMP(3) without a zone, as Prisma does).
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
  startTime: string;
  endTime: string;
  request_duration_ms: number;
  completionStartTime: string | null;
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

/** The columns written, with the SQL type each is read as from the batch's JSON. */
export const SPEND_COLUMNS: ReadonlyArray<readonly [keyof SpendRow, string]> = [
  ['request_id', 'text'], ['call_type', 'text'], ['api_key', 'text'], ['spend', 'double precision'],
  ['total_tokens', 'integer'], ['prompt_tokens', 'integer'], ['completion_tokens', 'integer'],
  ['startTime', 'timestamp(3)'], ['endTime', 'timestamp(3)'], ['request_duration_ms', 'integer'],
  ['completionStartTime', 'timestamp(3)'], ['model', 'text'], ['model_id', 'text'], ['model_group', 'text'],
  ['custom_llm_provider', 'text'], ['api_base', 'text'], ['user', 'text'], ['metadata', 'jsonb'], ['request_tags', 'jsonb'],
  ['team_id', 'text'], ['organization_id', 'text'], ['end_user', 'text'], ['status', 'text'],
  ['cache_hit', 'text'], ['cache_key', 'text'],
];
