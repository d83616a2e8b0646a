import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/core/index.js';
import { migrate, MIGRATIONS, type SqlClient } from '../../src/db/index.js';
import { createPostgresClient } from '../../src/db/postgres-client.js';
import { SpendWriter, type SpendRow } from '../../src/spend/index.js';
import { freePort } from '../support/ports.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/**
 * The database layer on a real PostgreSQL (a database of this file's own): migrations that only
 * add, under a lock many workers may race for; the spend writer's batches, retries and bounded
 * buffer.
 */

const logger = createLogger({ level: 'silent', pretty: false });
let db: TestDatabase;
const clients: SqlClient[] = [];

function client(url = db.url): SqlClient {
  const made = createPostgresClient(url, logger);
  clients.push(made);
  return made;
}

before(async () => {
  db = await createTestDatabase();
});

after(async () => {
  for (const c of clients) await c.end(100);
  await db.drop();
});

function row(id: string, spend = 0.001): SpendRow {
  const now = Date.now();
  return {
    request_id: id, call_type: 'acompletion', api_key: '', spend, total_tokens: 3, prompt_tokens: 2, completion_tokens: 1,
    startTime: now, endTime: now, request_duration_ms: 5, completionStartTime: null, model: 'gpt-4o', model_id: 'd1',
    model_group: 'gpt-4o', custom_llm_provider: 'openai', api_base: 'http://127.0.0.1:1', user: '', metadata: { k: 1 },
    request_tags: ['t'], team_id: null, organization_id: null, end_user: null, status: 'success', cache_hit: 'False', cache_key: '',
  };
}

test('migrations keep what LiteLLM created, add what it lacks, and run once however many race', async () => {
  // The table as an older LiteLLM's Prisma made it: fewer columns, one of a team's own, a row.
  await db.sql.unsafe(`CREATE TABLE "LiteLLM_SpendLogs" ("request_id" TEXT NOT NULL, "call_type" TEXT NOT NULL, "api_key" TEXT NOT NULL DEFAULT '',
    "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0, "startTime" TIMESTAMP(3) NOT NULL, "endTime" TIMESTAMP(3) NOT NULL, "model" TEXT NOT NULL DEFAULT '',
    "team_note" VARCHAR(20) NOT NULL DEFAULT 'ours', CONSTRAINT "LiteLLM_SpendLogs_pkey" PRIMARY KEY ("request_id"))`);
  await db.sql.unsafe(`INSERT INTO "LiteLLM_SpendLogs" ("request_id", "call_type", "spend", "startTime", "endTime", "model", "team_note") VALUES ('old', 'completion', 1.5, now(), now(), 'gpt-3.5-turbo', 'kept')`);

  const applied = await Promise.all([client(), client(), client()].map((c) => migrate(c)));
  assert.deepEqual(applied.flat(), MIGRATIONS.map((m) => m.version), 'each migration applied once in all');

  const columns = await db.sql<Array<{ column_name: string; data_type: string; character_maximum_length: number | null }>>`
    SELECT column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_name = 'LiteLLM_SpendLogs'`;
  const byName = new Map(columns.map((c) => [c.column_name, c]));
  for (const name of ['request_tags', 'model_group', 'status', 'metadata', 'completionStartTime', 'prompt_tokens']) assert.ok(byName.has(name), `${name} added`);
  assert.equal(byName.get('team_note')?.character_maximum_length, 20, 'a column of another tool is left as it was');
  assert.equal(byName.get('request_tags')?.data_type, 'jsonb');
  const [old] = await db.sql<Array<{ spend: number; team_note: string; model: string }>>`SELECT spend, team_note, model FROM "LiteLLM_SpendLogs" WHERE request_id = 'old'`;
  assert.deepEqual({ ...old }, { spend: 1.5, team_note: 'kept', model: 'gpt-3.5-turbo' });
  assert.deepEqual(await migrate(client()), [], 'nothing left to apply');
});

test('the writer batches rows, and a row written twice is one row', async () => {
  const written: number[] = [];
  const writer = new SpendWriter({ db: client(), logger, batchRows: 500, flushIntervalMs: 60_000, observer: { pending: () => undefined, written: (n) => written.push(n), dropped: () => assert.fail('nothing dropped') } });
  for (let i = 0; i < 1_200; i++) writer.record(row(`batch-${i}`));
  writer.record(row('batch-0')); // a retried batch or a repeated id
  assert.equal(await writer.close(5_000), 0);
  assert.deepEqual(written, [500, 500, 201]);
  const [count] = await db.sql<Array<{ n: string }>>`SELECT count(*) AS n FROM "LiteLLM_SpendLogs" WHERE request_id LIKE 'batch-%'`;
  assert.equal(Number(count!.n), 1_200);
  const [one] = await db.sql<Array<{ metadata: unknown; request_tags: unknown; startTime: Date }>>`SELECT metadata, request_tags, "startTime" FROM "LiteLLM_SpendLogs" WHERE request_id = 'batch-7'`;
  assert.deepEqual(one!.metadata, { k: 1 });
  assert.deepEqual(one!.request_tags, ['t']);
});

test('rows that come in while a batch is on its way wait for a whole batch (or the timer), not a batch of their own', async () => {
  const written: number[] = [];
  const writer = new SpendWriter({ db: client(), logger, batchRows: 10, flushIntervalMs: 60_000, observer: { pending: () => undefined, written: (n) => written.push(n), dropped: () => assert.fail('nothing dropped') } });
  for (let i = 0; i < 10; i++) writer.record(row(`wait-${i}`)); // the tenth starts a flush
  for (let i = 10; i < 13; i++) writer.record(row(`wait-${i}`)); // while it is on its way
  await writer.flush(); // the flush in progress
  assert.deepEqual(written, [10], 'the three that came in meanwhile were not sent as a batch of three');
  assert.equal(writer.pendingRows, 3);
  for (let i = 13; i < 20; i++) writer.record(row(`wait-${i}`)); // the tenth waiting starts the next
  await writer.flush();
  assert.deepEqual(written, [10, 10]);
  assert.equal(await writer.close(5_000), 0);
  assert.deepEqual(written, [10, 10], 'nothing left');
});

test('with PostgreSQL unreachable the buffer holds rows up to its bound, counts the rest, and says what an exit loses', async () => {
  const closedPort = await freePort();
  let dropped = 0;
  let pending = 0;
  const writer = new SpendWriter({
    db: client(`postgres://postgres@127.0.0.1:${closedPort}/nothing`), logger, batchRows: 2, maxPendingRows: 5, flushIntervalMs: 60_000,
    observer: { pending: (n) => (pending = n), written: () => assert.fail('nothing can be written'), dropped: (n) => (dropped += n) },
  });
  for (let i = 0; i < 8; i++) writer.record(row(`down-${i}`));
  assert.equal(writer.pendingRows, 5);
  assert.equal(pending, 5);
  assert.equal(dropped, 3);
  assert.equal(await writer.close(300), 5, 'the held rows are lost at exit, and said so');
  assert.equal(dropped, 8);
  assert.equal(pending, 0);
});

test('a batch travels as one array per column: every text comes back as written, quotes, backslashes, braces, NULL-looking words and all; times as UTC whatever the server\'s zone', async () => {
  // A server whose sessions run in another zone still stores UTC wall time, as Prisma does for LiteLLM.
  await db.sql.unsafe(`ALTER DATABASE "${db.name}" SET timezone TO 'America/New_York'`);
  const writer = new SpendWriter({ db: client(), logger, flushIntervalMs: 3_600_000 });
  const hostile = ['"quoted"', 'back\\slash\\', '{braces},commas,', 'NULL', 'null', '', ' spaced ', 'line\nbreak\ttab\r', 'ünïcødé ✓ 日本', '\\"\\', "it's"];
  const rows = hostile.map((text, i) => ({
    ...row(`array-${i}`, i === 0 ? 0.1 + 0.2 : i * 1e-7),
    model: text, api_base: text, cache_key: text, request_tags: [text, 'plain'], metadata: { text, nested: { n: i, s: text } },
    team_id: i % 2 === 0 ? null : text, completionStartTime: i % 3 === 0 ? null : 1_700_000_000_123 + i,
  }));
  for (const r of rows) writer.record(r);
  await writer.flush();
  assert.equal(writer.pendingRows, 0);
  const read = await db.sql<Array<Record<string, unknown>>>`SELECT *, (extract(epoch FROM "completionStartTime") * 1000)::float8 AS completion_ms
    FROM "LiteLLM_SpendLogs" WHERE request_id LIKE 'array-%' ORDER BY request_id`;
  const byId = new Map(read.map((r) => [r.request_id, r]));
  for (const r of rows) {
    const got = byId.get(r.request_id);
    assert.ok(got, r.request_id);
    for (const column of ['model', 'api_base', 'cache_key', 'team_id'] as const) assert.equal(got[column], r[column], `${r.request_id} ${column}`);
    assert.deepEqual(got.request_tags, r.request_tags);
    assert.deepEqual(got.metadata, r.metadata);
    assert.equal(got.spend, r.spend, 'a double round-trips exactly');
    assert.equal(got.completion_ms, r.completionStartTime, 'milliseconds since the epoch, as UTC wall time');
  }
});

test('a NUL character in a client\'s tag or metadata becomes U+FFFD and fails neither its row nor its batch', async () => {
  const writer = new SpendWriter({ db: client(), logger, flushIntervalMs: 3_600_000 });
  const nul = 'a\u0000b';
  writer.record({ ...row('nul-0'), model: nul, request_tags: [nul, 'x\\u0000y'], metadata: { tag: nul, literal: '\\u0000' } });
  writer.record(row('nul-1'));
  await writer.flush();
  assert.equal(writer.pendingRows, 0, 'the batch was written, not held for a retry');
  const read = await db.sql<Array<{ request_id: string; model: string; request_tags: unknown; metadata: unknown }>>`SELECT request_id, model, request_tags, metadata FROM "LiteLLM_SpendLogs" WHERE request_id LIKE 'nul-%' ORDER BY request_id`;
  assert.deepEqual(read.map((r) => r.request_id), ['nul-0', 'nul-1']);
  assert.equal(read[0]!.model, 'a\uFFFDb');
  assert.deepEqual(read[0]!.request_tags, ['a\uFFFDb', 'x\\u0000y'], 'a written-out backslash-u0000 is text, kept as it was');
  assert.deepEqual(read[0]!.metadata, { tag: 'a\uFFFDb', literal: '\\u0000' });
});
