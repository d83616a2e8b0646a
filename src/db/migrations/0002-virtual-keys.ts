import type { Migration } from '../migration.js';

/**
 * LiteLLM's key, team, user and budget tables, named and typed as its Prisma schema makes them
 * (quoted identifiers; Float → DOUBLE PRECISION, BigInt → BIGINT, Json → JSONB, String[] →
 * TEXT[], DateTime → TIMESTAMP(3) holding UTC), so that a LiteLLM database's keys, teams, budgets
 * and spend carry on. Only the columns Switchyard reads or writes are listed; a table LiteLLM
 * created keeps every column it has (and its defaults), and gains only the ones it lacks. Nothing
 * is dropped, retyped or rewritten. Where Prisma has a required column without a default
 * (`created_by` of the budget table), the column added here gets `''` so that adding it to a table
 * with rows cannot fail.
 */
type Columns = ReadonlyArray<readonly [string, string]>;

const TEXT_LIST = `TEXT[] DEFAULT ARRAY[]::TEXT[]`;
const JSON_OBJECT = `JSONB NOT NULL DEFAULT '{}'`;
const NOW = 'TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP';

/** The limits LiteLLM keeps on a key, a team, a user and a budget row alike. */
const LIMITS: Columns = [
  ['max_parallel_requests', 'INTEGER'],
  ['tpm_limit', 'BIGINT'],
  ['rpm_limit', 'BIGINT'],
  ['max_budget', 'DOUBLE PRECISION'],
  ['budget_duration', 'TEXT'],
  ['budget_reset_at', 'TIMESTAMP(3)'],
];

const TOKEN: Columns = [
  ['key_name', 'TEXT'], ['key_alias', 'TEXT'], ['spend', 'DOUBLE PRECISION NOT NULL DEFAULT 0.0'], ['expires', 'TIMESTAMP(3)'],
  ['models', TEXT_LIST], ['aliases', JSON_OBJECT], ['config', JSON_OBJECT], ['user_id', 'TEXT'], ['team_id', 'TEXT'],
  ['permissions', JSON_OBJECT], ['metadata', JSON_OBJECT], ['blocked', 'BOOLEAN'], ...LIMITS, ['budget_id', 'TEXT'],
  ['organization_id', 'TEXT'], ['model_spend', JSON_OBJECT], ['model_max_budget', JSON_OBJECT],
  ['created_at', NOW], ['created_by', 'TEXT'], ['updated_at', NOW], ['updated_by', 'TEXT'],
  ['rotation_count', 'INTEGER DEFAULT 0'], ['last_rotation_at', 'TIMESTAMP(3)'],
];

const TEAM: Columns = [
  ['team_alias', 'TEXT'], ['organization_id', 'TEXT'], ['admins', TEXT_LIST], ['members', TEXT_LIST],
  ['members_with_roles', JSON_OBJECT], ['metadata', JSON_OBJECT], ['spend', 'DOUBLE PRECISION NOT NULL DEFAULT 0.0'],
  ['models', TEXT_LIST], ...LIMITS, ['blocked', 'BOOLEAN NOT NULL DEFAULT false'], ['model_spend', JSON_OBJECT],
  ['model_max_budget', JSON_OBJECT], ['created_at', `${NOW} NOT NULL`], ['updated_at', `${NOW} NOT NULL`],
];

const USER: Columns = [
  ['user_alias', 'TEXT'], ['team_id', 'TEXT'], ['teams', TEXT_LIST], ['user_role', 'TEXT'], ['user_email', 'TEXT'],
  ['spend', 'DOUBLE PRECISION NOT NULL DEFAULT 0.0'], ['models', TEXT_LIST], ['metadata', JSON_OBJECT], ...LIMITS,
  ['model_spend', JSON_OBJECT], ['model_max_budget', JSON_OBJECT], ['created_at', NOW], ['updated_at', NOW],
];

const BUDGET: Columns = [
  ...LIMITS, ['soft_budget', 'DOUBLE PRECISION'], ['created_at', `${NOW} NOT NULL`], ['created_by', `TEXT NOT NULL DEFAULT ''`],
  ['updated_at', `${NOW} NOT NULL`], ['updated_by', `TEXT NOT NULL DEFAULT ''`],
];

function table(name: string, id: string, columns: Columns): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS "${name}" ("${id}" TEXT NOT NULL, CONSTRAINT "${name}_pkey" PRIMARY KEY ("${id}"))`,
    ...columns.map(([column, type]) => `ALTER TABLE "${name}" ADD COLUMN IF NOT EXISTS "${column}" ${type}`),
  ];
}

export const virtualKeys: Migration = {
  version: 2,
  name: 'LiteLLM virtual keys: VerificationToken, TeamTable, UserTable, BudgetTable',
  sql: [
    ...table('LiteLLM_BudgetTable', 'budget_id', BUDGET),
    ...table('LiteLLM_TeamTable', 'team_id', TEAM),
    ...table('LiteLLM_UserTable', 'user_id', USER),
    ...table('LiteLLM_VerificationToken', 'token', TOKEN),
    // Prisma's index names, so that a LiteLLM database's own indexes are the ones found.
    `CREATE INDEX IF NOT EXISTS "LiteLLM_VerificationToken_user_id_team_id_idx" ON "LiteLLM_VerificationToken"("user_id", "team_id")`,
    `CREATE INDEX IF NOT EXISTS "LiteLLM_VerificationToken_team_id_idx" ON "LiteLLM_VerificationToken"("team_id")`,
    `CREATE INDEX IF NOT EXISTS "LiteLLM_VerificationToken_budget_reset_at_expires_idx" ON "LiteLLM_VerificationToken"("budget_reset_at", "expires")`,
    `CREATE INDEX IF NOT EXISTS "LiteLLM_TeamTable_team_alias_idx" ON "LiteLLM_TeamTable"("team_alias")`,
  ],
};
