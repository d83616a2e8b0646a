import type { Migration } from '../migration.js';

/**
 * LiteLLM's `LiteLLM_SpendLogs`, named and typed as its Prisma schema makes it (quoted
 * identifiers, TIMESTAMP(3), DOUBLE PRECISION, JSONB), so dashboards written against a LiteLLM
 * database read Switchyard's rows. Only additions: a table LiteLLM (or an older LiteLLM) already
 * created keeps every column it has, and gains the ones it lacks.
 */
const COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['call_type', `TEXT NOT NULL DEFAULT ''`],
  ['api_key', `TEXT NOT NULL DEFAULT ''`],
  ['spend', 'DOUBLE PRECISION NOT NULL DEFAULT 0.0'],
  ['total_tokens', 'INTEGER NOT NULL DEFAULT 0'],
  ['prompt_tokens', 'INTEGER NOT NULL DEFAULT 0'],
  ['completion_tokens', 'INTEGER NOT NULL DEFAULT 0'],
  ['startTime', 'TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP'],
  ['endTime', 'TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP'],
  ['request_duration_ms', 'INTEGER'],
  ['completionStartTime', 'TIMESTAMP(3)'],
  ['model', `TEXT NOT NULL DEFAULT ''`],
  ['model_id', `TEXT DEFAULT ''`],
  ['model_group', `TEXT DEFAULT ''`],
  ['custom_llm_provider', `TEXT DEFAULT ''`],
  ['api_base', `TEXT DEFAULT ''`],
  ['user', `TEXT DEFAULT ''`],
  ['metadata', `JSONB DEFAULT '{}'`],
  ['cache_hit', `TEXT DEFAULT ''`],
  ['cache_key', `TEXT DEFAULT ''`],
  ['request_tags', `JSONB DEFAULT '[]'`],
  ['team_id', 'TEXT'],
  ['organization_id', 'TEXT'],
  ['end_user', 'TEXT'],
  ['requester_ip_address', 'TEXT'],
  ['messages', `JSONB DEFAULT '{}'`],
  ['response', `JSONB DEFAULT '{}'`],
  ['session_id', 'TEXT'],
  ['status', 'TEXT'],
  ['mcp_namespaced_tool_name', 'TEXT'],
  ['agent_id', 'TEXT'],
  ['proxy_server_request', `JSONB DEFAULT '{}'`],
];

export const spendLogs: Migration = {
  version: 1,
  name: 'LiteLLM_SpendLogs',
  sql: [
    `CREATE TABLE IF NOT EXISTS "LiteLLM_SpendLogs" ("request_id" TEXT NOT NULL, CONSTRAINT "LiteLLM_SpendLogs_pkey" PRIMARY KEY ("request_id"))`,
    ...COLUMNS.map(([name, type]) => `ALTER TABLE "LiteLLM_SpendLogs" ADD COLUMN IF NOT EXISTS "${name}" ${type}`),
    `CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_startTime_idx" ON "LiteLLM_SpendLogs"("startTime")`,
    `CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_startTime_request_id_idx" ON "LiteLLM_SpendLogs"("startTime", "request_id")`,
    `CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_end_user_idx" ON "LiteLLM_SpendLogs"("end_user")`,
    `CREATE INDEX IF NOT EXISTS "LiteLLM_SpendLogs_session_id_idx" ON "LiteLLM_SpendLogs"("session_id")`,
  ],
};
