import type { SqlClient } from './sql-client.js';
import { spendLogs } from './migrations/0001-spend-logs.js';
import { virtualKeys } from './migrations/0002-virtual-keys.js';

/**
 * A versioned schema change: plain SQL statements, applied once, in one transaction, and
 * recorded in `switchyard_schema_migrations`. Migrations only add (tables, columns, indexes);
 * they never drop or rewrite what another tool (LiteLLM's Prisma) created. New ones go at the
 * end of MIGRATIONS with the next version number.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [spendLogs, virtualKeys];

/** Any fixed number: the session-level advisory lock that serialises migrations across processes and hosts. */
const MIGRATION_LOCK = 7_431_170;

/**
 * Brings the database up to the last migration. Many workers (and hosts) may call it at once:
 * an advisory lock makes one of them apply what is missing while the others wait, then find
 * nothing to do. Returns the versions it applied.
 */
export async function migrate(db: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS "switchyard_schema_migrations" ("version" INTEGER PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const rows = await tx.query<{ version: number }>('SELECT "version" FROM "switchyard_schema_migrations"');
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.sql) await tx.query(statement);
      await tx.query('INSERT INTO "switchyard_schema_migrations" ("version", "name") VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}
