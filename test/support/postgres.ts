import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/**
 * A database of its own for one test file on the machine's PostgreSQL (127.0.0.1:5432, trust
 * auth, user postgres; `.ci/run` starts it): created at the start, dropped at the end.
 */
export interface TestDatabase {
  readonly name: string;
  /** A postgres:// URL to the new database. */
  readonly url: string;
  /** The same database on another port (a TCP proxy in front of the server). */
  urlVia(port: number): string;
  /** The test's own connection to it. */
  readonly sql: postgres.Sql;
  drop(): Promise<void>;
}

const SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres' };

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `switchyard_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres({ ...SERVER, database: 'postgres', max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = `postgres://${SERVER.user}@${SERVER.host}:${SERVER.port}/${name}`;
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  return {
    name,
    url,
    urlVia: (port) => `postgres://${SERVER.user}@${SERVER.host}:${port}/${name}`,
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end({ timeout: 1 });
    },
  };
}
