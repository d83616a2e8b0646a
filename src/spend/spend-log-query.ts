import type { SqlQuery } from '../db/index.js';

/** Filters of `GET /spend/logs`: a time range on `startTime`, model (group or upstream name), tags, one request, a key, user or team. */
export interface SpendLogFilter {
  /** Inclusive, UTC. */
  readonly start?: Date;
  /** Exclusive, UTC. */
  readonly end?: Date;
  readonly model?: string;
  /** Rows carrying every one of these tags. */
  readonly tags?: readonly string[];
  readonly requestId?: string;
  /** A virtual key's hash (LiteLLM's `api_key` column). */
  readonly apiKey?: string;
  readonly userId?: string;
  readonly teamId?: string;
  readonly limit: number;
}

/** The rows a filter selects, newest first; times come back as ISO strings in UTC. */
export async function querySpendLogs(db: SqlQuery, filter: SpendLogFilter): Promise<Array<Record<string, unknown>>> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (filter.start !== undefined) add((p) => `"startTime" >= ${p}::timestamp(3)`, filter.start.toISOString());
  if (filter.end !== undefined) add((p) => `"startTime" < ${p}::timestamp(3)`, filter.end.toISOString());
  if (filter.model !== undefined) add((p) => `("model_group" = ${p} OR "model" = ${p})`, filter.model);
  if (filter.tags !== undefined && filter.tags.length > 0) add((p) => `"request_tags" @> ${p}::text::jsonb`, JSON.stringify(filter.tags));
  if (filter.requestId !== undefined) add((p) => `"request_id" = ${p}`, filter.requestId);
  if (filter.apiKey !== undefined) add((p) => `"api_key" = ${p}`, filter.apiKey);
  if (filter.userId !== undefined) add((p) => `"user" = ${p}`, filter.userId);
  if (filter.teamId !== undefined) add((p) => `"team_id" = ${p}`, filter.teamId);
  params.push(filter.limit);
  const sql = `SELECT "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens", "completion_tokens",
      to_char("startTime", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "startTime", to_char("endTime", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "endTime",
      "request_duration_ms", to_char("completionStartTime", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "completionStartTime",
      "model", "model_id", "model_group", "custom_llm_provider", "api_base", "user", "metadata", "request_tags",
      "team_id", "organization_id", "end_user", "status", "cache_hit", "cache_key"
    FROM "LiteLLM_SpendLogs"${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
    ORDER BY "startTime" DESC, "request_id" LIMIT $${params.length}`;
  return db.query(sql, params);
}
