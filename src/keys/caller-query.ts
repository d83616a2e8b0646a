import type { SqlQuery } from '../db/index.js';
import { callerFromRow, type Caller, type CallerRow } from './caller.js';

const MS = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

/**
 * One statement per look-up: the key, its budget row, its team and its user. Times come back as
 * epoch ms (the columns hold UTC without a zone, as Prisma writes them).
 */
const LOOKUP = `SELECT k."token", k."key_alias", k."key_name", k."team_id", k."user_id", k."models", k."aliases", k."metadata", k."blocked",
    ${MS('k."expires"')} AS expires_ms, k."spend", k."max_budget", k."budget_duration", ${MS('k."budget_reset_at"')} AS budget_reset_ms,
    k."rpm_limit", k."tpm_limit", k."max_parallel_requests",
    b."max_budget" AS b_max_budget, b."rpm_limit" AS b_rpm_limit, b."tpm_limit" AS b_tpm_limit,
    b."max_parallel_requests" AS b_max_parallel_requests, b."budget_duration" AS b_budget_duration,
    (t."team_id" IS NOT NULL) AS team_exists, t."team_alias", t."models" AS team_models, t."blocked" AS team_blocked, t."spend" AS team_spend,
    t."max_budget" AS team_max_budget, t."budget_duration" AS team_budget_duration, ${MS('t."budget_reset_at"')} AS team_budget_reset_ms,
    t."rpm_limit" AS team_rpm_limit, t."tpm_limit" AS team_tpm_limit, t."max_parallel_requests" AS team_max_parallel_requests,
    (u."user_id" IS NOT NULL) AS user_exists, u."user_role", u."spend" AS user_spend, u."max_budget" AS user_max_budget,
    u."budget_duration" AS user_budget_duration, ${MS('u."budget_reset_at"')} AS user_budget_reset_ms,
    u."rpm_limit" AS user_rpm_limit, u."tpm_limit" AS user_tpm_limit, u."max_parallel_requests" AS user_max_parallel_requests
  FROM "LiteLLM_VerificationToken" k
  LEFT JOIN "LiteLLM_BudgetTable" b ON b."budget_id" = k."budget_id"
  LEFT JOIN "LiteLLM_TeamTable" t ON t."team_id" = k."team_id"
  LEFT JOIN "LiteLLM_UserTable" u ON u."user_id" = k."user_id"
  WHERE k."token" = $1`;

/** The caller a token hash belongs to; undefined when no key has it. Throws when PostgreSQL cannot answer. */
export async function loadCaller(db: SqlQuery, tokenHash: string): Promise<Caller | undefined> {
  const rows = await db.query<CallerRow>(LOOKUP, [tokenHash]);
  const row = rows[0];
  return row === undefined ? undefined : callerFromRow(row);
}
