import postgres from 'postgres';
import type { Logger } from '../core/index.js';
import type { SqlClient, SqlQuery } from './sql-client.js';

/**
 * Connections per worker: the spend writer's one batch at a time, plus virtual-key look-ups (at most
 * two at a time, only for keys the worker has not read), management calls and `/spend/logs` reads.
 */
const MAX_CONNECTIONS = 2;
/** Seconds to connect; an unreachable database fails the attempt (the caller holds and retries). */
const CONNECT_TIMEOUT_S = 3;
/**
 * Seconds before the next connection attempt after `retries` failed ones: 0.05, 0.1, 0.2 … at most 1.
 * postgres.js' own default grows to 20 s, and queries wait for that attempt: after an outage the
 * spend rows stayed unwritten and a virtual key's first look-up waited ~20 s (measured in the
 * PostgreSQL-cut test) instead of failing fast. Our callers back off themselves.
 */
const reconnectBackoffS = (retries: number): number => Math.min(0.05 * 2 ** retries, 1);
/** Seconds an idle connection stays open. */
const IDLE_TIMEOUT_S = 30;

/**
 * PostgreSQL through `postgres` (postgres.js; chosen over `pg` with the figures in
 * docs/benchmarks.md#postgresql-client). Connections open lazily on the first query, so a
 * database that is down at start-up stops nothing; statements are unprepared (`unsafe` with
 * parameters), which keeps working behind PgBouncer in transaction mode.
 */
export function createPostgresClient(url: string, logger: Logger): SqlClient {
  const sql = postgres(url, {
    max: MAX_CONNECTIONS,
    connect_timeout: CONNECT_TIMEOUT_S,
    idle_timeout: IDLE_TIMEOUT_S,
    backoff: reconnectBackoffS,
    prepare: false,
    onnotice: () => undefined, // "relation already exists, skipping" from the migrations' IF NOT EXISTS
    debug: false,
    connection: { application_name: 'switchyard' },
  });
  const run = (runner: postgres.Sql | postgres.TransactionSql): SqlQuery => ({
    query: async <T>(text: string, params: readonly unknown[] = []) => (await runner.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[],
  });
  return {
    ...run(sql),
    async transaction<T>(work: (tx: SqlQuery) => Promise<T>): Promise<T> {
      return (await sql.begin((tx) => work(run(tx)))) as T;
    },
    async end(timeoutMs = 1_000) {
      try {
        await sql.end({ timeout: timeoutMs / 1000 });
      } catch (error) {
        logger.debug({ err: error }, 'postgres: closing the connections failed');
      }
    },
  };
}
