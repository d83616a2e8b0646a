import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { createLogger } from '../../src/core/index.js';
import { createPostgresClient } from '../../src/db/postgres-client.js';
import { resetBudgets } from '../../src/keys/budget-reset.js';

/**
 * Virtual keys on a real PostgreSQL and Redis, with two hosts (two gateway primaries sharing
 * both): LiteLLM's management API, a database LiteLLM's Prisma laid out, changes reaching the other
 * host within a second, LiteLLM's errors, model access, spend attribution, PostgreSQL cut.
 */

const MASTER = 'sk-master-of-tests';
const FIXTURE_KEY = 'sk-FixtureKeyFromLiteLLM1';
const FIXTURE_SQL = new URL('../fixtures/litellm/litellm-prisma.sql', import.meta.url);

let upstream: FakeUpstream;
let db: TestDatabase;
let redis: RedisProcess;
let proxy: TcpProxy | undefined;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('gpt-4o', { text: 'big answer', usage: { prompt_tokens: 100, completion_tokens: 20 } });
  upstream.behave('gpt-4o-mini', { text: 'small answer', usage: { prompt_tokens: 100, completion_tokens: 20 } });
  db = await createTestDatabase();
  redis = await startRedis();
});

after(async () => {
  await stopAllGateways();
  await proxy?.close();
  await redis.stop();
  await upstream.close();
  await db.drop();
});

function config(extra: Record<string, unknown> = {}): object {
  const deployment = (name: string) => ({ model_name: name, litellm_params: { model: `openai/${name}`, api_base: `${upstream.url}/v1`, api_key: 'sk-upstream' } });
  return {
    model_list: [deployment('gpt-4o'), deployment('gpt-4o-mini')],
    general_settings: { master_key: MASTER, ...extra },
    router_settings: { redis_url: redis.url },
  };
}

async function host(options: { databaseUrl?: string; workers?: number; extra?: Record<string, unknown> } = {}): Promise<GatewayProcess> {
  return startGateway({ config: config(options.extra), args: ['--num_workers', String(options.workers ?? 2)], env: { DATABASE_URL: options.databaseUrl ?? db.url } });
}

// Answers are read field by field as LiteLLM's documented shapes; a wrong path fails the assertion.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
interface Answer { status: number; body: any }

async function call(gateway: GatewayProcess, path: string, key: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const chat = (gateway: GatewayProcess, key: string, model = 'gpt-4o') => call(gateway, '/v1/chat/completions', key, { model, messages: [{ role: 'user', content: 'hi' }] });

/** Polls until `ok` holds for `streak` answers in a row; the time it took (ms), or fails after `limitMs`. */
async function until(what: string, attempt: () => Promise<boolean>, limitMs: number, streak = 6): Promise<number> {
  const started = Date.now();
  let inRow = 0;
  while (Date.now() - started < limitMs + 2_000) {
    inRow = (await attempt()) ? inRow + 1 : 0;
    if (inRow >= streak) return Date.now() - started;
  }
  assert.fail(`${what}: not within ${limitMs} ms`);
}

async function tableShape(): Promise<unknown> {
  return db.sql`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
    WHERE table_name IN ('LiteLLM_VerificationToken', 'LiteLLM_TeamTable', 'LiteLLM_UserTable', 'LiteLLM_BudgetTable') ORDER BY table_name, column_name`;
}

test('a database laid out by LiteLLM: the migration changes nothing of it, and its key calls', async () => {
  await db.sql.unsafe(readFileSync(FIXTURE_SQL, 'utf8'));
  const shapeBefore = await tableShape();
  const rowsBefore = await db.sql`SELECT to_jsonb(t) - 'spend' - 'updated_at' AS row FROM "LiteLLM_VerificationToken" t`;
  const gateway = await host();
  const answer = await chat(gateway, FIXTURE_KEY, 'mini'); // the key's alias of gpt-4o-mini
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.choices[0].message.content, 'small answer');
  const refused = await chat(gateway, FIXTURE_KEY, 'gpt-4o');
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error.type, 'key_model_access_denied');
  const [applied] = await db.sql`SELECT max(version) AS v FROM switchyard_schema_migrations`;
  assert.equal(applied!.v, 2, 'the migrations ran');
  assert.deepEqual(await tableShape(), shapeBefore, 'no column added, retyped or dropped');
  assert.deepEqual(await db.sql`SELECT to_jsonb(t) - 'spend' - 'updated_at' AS row FROM "LiteLLM_VerificationToken" t`, rowsBefore);
  // The call's cost lands on the key, its team and its user (batched off the request path).
  await until('spend written', async () => {
    const [row] = await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE key_alias = 'fixture-key'`;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return row!.spend > 1.75;
  }, 5_000, 1);
  const [log] = await db.sql`SELECT api_key, "user", team_id, spend, metadata FROM "LiteLLM_SpendLogs" WHERE status = 'success'`;
  const [key] = await db.sql`SELECT token, spend FROM "LiteLLM_VerificationToken" WHERE key_alias = 'fixture-key'`;
  const [team] = await db.sql`SELECT spend FROM "LiteLLM_TeamTable" WHERE team_id = 'team-fixture'`;
  const [user] = await db.sql`SELECT spend FROM "LiteLLM_UserTable" WHERE user_id = 'user-fixture'`;
  assert.equal(log!.api_key, key!.token);
  assert.equal(log!.user, 'user-fixture');
  assert.equal(log!.team_id, 'team-fixture');
  assert.equal(log!.metadata.user_api_key_alias, 'fixture-key');
  assert.equal(log!.metadata.user_api_key_team_alias, 'fixture-team');
  assert.ok(log!.spend > 0);
  assert.ok(Math.abs(key!.spend - (1.75 + log!.spend)) < 1e-9, `key spend ${key!.spend}`);
  assert.ok(Math.abs(team!.spend - (12.5 + log!.spend)) < 1e-9, `team spend ${team!.spend}`);
  assert.ok(Math.abs(user!.spend - (3.25 + log!.spend)) < 1e-9, `user spend ${user!.spend}`);
  await gateway.stop();
});

test('two hosts: a key made on A works on B within 1 s; blocked, unblocked and deleted on A, B follows within 1 s', async () => {
  const [a, b] = await Promise.all([host(), host()]);
  // B has been asked for this key before it exists: its workers hold it as unknown.
  const key = `sk-two-hosts-${Date.now()}`;
  assert.equal((await chat(b, key)).status, 401);
  const made = await call(a, '/key/generate', MASTER, { key, key_alias: 'two-hosts', models: ['gpt-4o'] });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  assert.equal(made.body.key, key);
  assert.match(made.body.token_id, /^[0-9a-f]{64}$/);
  const works = await until('key works on B', async () => (await chat(b, key)).status === 200, 1_000);
  for (const [path, expected, what] of [['/key/block', 401, 'blocked'], ['/key/unblock', 200, 'unblocked'], ['/key/delete', 401, 'deleted']] as const) {
    const body = path === '/key/delete' ? { keys: [key] } : { key };
    assert.equal((await call(a, path, MASTER, body)).status, 200);
    const took = await until(`${what} on B`, async () => (await chat(b, key)).status === expected, 1_000);
    assert.ok(took <= 1_000, `${what}: ${took} ms`);
  }
  const gone = await chat(b, key);
  assert.equal(gone.body.error.type, 'auth_error');
  assert.equal(gone.body.error.code, '401');
  assert.ok(works <= 1_000, `made: ${works} ms`);
  await Promise.all([a.stop(), b.stop()]);
});

test("LiteLLM's errors: unknown, blocked and expired keys; model access, aliases, team models and /v1/models per key", async () => {
  const gateway = await host({ workers: 1 });
  const unknown = await chat(gateway, 'sk-no-such-key');
  assert.deepEqual([unknown.status, unknown.body.error.type, unknown.body.error.code], [401, 'auth_error', '401']);
  assert.ok(!JSON.stringify(unknown.body).includes('sk-no-such-key'), 'the key is not echoed');
  const notVirtual = await chat(gateway, 'plainly-wrong');
  assert.deepEqual([notVirtual.status, notVirtual.body.error.type], [401, 'auth_error']);

  const expiring = await call(gateway, '/key/generate', MASTER, { duration: '1s' });
  assert.equal((await chat(gateway, expiring.body.key)).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const expired = await chat(gateway, expiring.body.key);
  assert.deepEqual([expired.status, expired.body.error.type, expired.body.error.code], [401, 'expired_key', '401']);
  assert.match(expired.body.error.message, /^Authentication Error - Expired Key/);

  const blocked = await call(gateway, '/key/generate', MASTER, { blocked: true });
  const refused = await chat(gateway, blocked.body.key);
  assert.deepEqual([refused.status, refused.body.error.type], [401, 'auth_error']);
  assert.match(refused.body.error.message, /Key is blocked/);

  const noTeam = await call(gateway, '/key/generate', MASTER, { team_id: 'no-such-team' });
  assert.deepEqual([noTeam.status, noTeam.body.error.param], [400, 'team_id']);
  const team = await call(gateway, '/team/new', MASTER, { team_alias: 'minis', models: ['gpt-4o-mini'] });
  assert.equal(team.status, 200, JSON.stringify(team.body));
  const teamKey = await call(gateway, '/key/generate', MASTER, { team_id: team.body.team_id, key_alias: 'team-key', aliases: { small: 'gpt-4o-mini', big: 'gpt-4o' } });
  assert.equal((await chat(gateway, teamKey.body.key, 'small')).status, 200, 'an alias reaches its model group');
  assert.equal(upstream.requests.at(-1)?.body?.model, 'gpt-4o-mini');
  const teamRefused = await chat(gateway, teamKey.body.key, 'big');
  assert.deepEqual([teamRefused.status, teamRefused.body.error.type], [401, 'team_model_access_denied']);
  const models = await call(gateway, '/v1/models', teamKey.body.key);
  assert.deepEqual(models.body.data.map((m: { id: string }) => m.id), ['gpt-4o-mini']);
  const info = await call(gateway, '/model/info', teamKey.body.key);
  assert.deepEqual(info.body.data.map((m: { model_name: string }) => m.model_name), ['gpt-4o-mini']);
  const all = await call(gateway, '/v1/models', MASTER);
  assert.deepEqual(all.body.data.map((m: { id: string }) => m.id), ['gpt-4o', 'gpt-4o-mini']);

  // Management needs the master key or a proxy admin's key; any key may read its own info.
  const denied = await call(gateway, '/key/generate', teamKey.body.key, {});
  assert.deepEqual([denied.status, denied.body.error.type], [401, 'auth_error']);
  const own = await call(gateway, '/key/info', teamKey.body.key);
  assert.equal(own.status, 200);
  assert.equal(own.body.info.key_alias, 'team-key');
  assert.equal(own.body.info.token, undefined, 'the hash is not shown as the token');
  const admin = await call(gateway, '/user/new', MASTER, { user_id: 'admin-user', user_role: 'proxy_admin' });
  assert.match(admin.body.key, /^sk-/);
  assert.equal((await call(gateway, '/key/generate', admin.body.key, { key_alias: 'by-admin' })).status, 200);
  const listed = await call(gateway, '/key/list?key_alias=by-admin', MASTER);
  assert.equal(listed.body.total_count, 1);
  // Stored hashed: no row holds a key.
  const [raw] = await db.sql`SELECT count(*) AS n FROM "LiteLLM_VerificationToken" WHERE token LIKE 'sk-%'`;
  assert.equal(Number(raw!.n), 0);

  // Regenerated: the old key stops, the new one works, the key's settings stay.
  const regenerated = await call(gateway, '/key/regenerate', MASTER, { key: teamKey.body.key });
  assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
  assert.equal((await chat(gateway, teamKey.body.key, 'small')).status, 401);
  assert.equal((await chat(gateway, regenerated.body.key, 'small')).status, 200);
  assert.equal(regenerated.body.key_alias, 'team-key');

  // Metrics by key alias and team (the team's alias); keys never appear in them.
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // the workers push once a second
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  assert.match(text, /switchyard_key_requests_total\{key_alias="team-key",team="minis"\} [1-9]/);
  assert.ok(!text.includes(regenerated.body.key) && !text.includes(teamKey.body.key), 'no key in the metrics');
  await gateway.stop();
});

test('PostgreSQL cut: cached keys keep working with 0 failed calls, an uncached key gets 503, spend is written once it is back', async () => {
  proxy = await startTcpProxy(5432);
  // A 1 s cache TTL, so that the keys are stale (and asked for again) during the cut.
  const gateway = await host({ databaseUrl: db.urlVia(proxy.port), workers: 1, extra: { user_api_key_cache_ttl: 1 } });
  const team = await call(gateway, '/team/new', MASTER, { team_alias: 'cut-team' });
  const made = await call(gateway, '/key/generate', MASTER, { key_alias: 'cut-key', team_id: team.body.team_id, user_id: 'cut-user' });
  const other = await call(gateway, '/key/generate', MASTER, { key_alias: 'never-used' });
  assert.equal((await chat(gateway, made.body.key)).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 2_500)); // that call's spend is written
  const [before] = await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE key_alias = 'cut-key'`;

  await proxy.cut();
  const statuses: number[] = [];
  const started = Date.now();
  while (Date.now() - started < 3_000 && statuses.length < 500) statuses.push((await chat(gateway, made.body.key)).status);
  assert.ok(statuses.length >= 20, `${statuses.length} calls`);
  assert.deepEqual(statuses.filter((s) => s !== 200), [], 'no cached-key call failed');
  const asked = Date.now();
  const uncached = await chat(gateway, other.body.key);
  assert.deepEqual([uncached.status, uncached.body.error.code], [503, 'database_unavailable']);
  assert.ok(Date.now() - asked < 2_000, `the 503 came in ${Date.now() - asked} ms`);

  await proxy.restore();
  const calls = statuses.length;
  let written = 0;
  await until('spend rows written', async () => {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const [rows] = await db.sql`SELECT count(*) AS n FROM "LiteLLM_SpendLogs" l JOIN "LiteLLM_VerificationToken" k ON k.token = l.api_key WHERE k.key_alias = 'cut-key' AND l.status = 'success'`;
    written = Number(rows!.n);
    return written >= calls + 1;
  }, 10_000, 1).catch((error: unknown) => assert.fail(`${String(error)}: ${written} rows of ${calls + 1}; gateway log: ${gateway.output().split('\n').filter((l) => /spend|postgres|error/i.test(l)).slice(-5).join(' | ')}`));
  assert.equal(written, calls + 1, 'one row per call, none twice');
  await until('spend columns written', async () => {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const [key] = await db.sql`SELECT spend FROM "LiteLLM_VerificationToken" WHERE key_alias = 'cut-key'`;
    return key!.spend > before!.spend;
  }, 10_000, 1);
  const [rows] = await db.sql`SELECT sum(l.spend) AS spend FROM "LiteLLM_SpendLogs" l JOIN "LiteLLM_VerificationToken" k ON k.token = l.api_key WHERE k.key_alias = 'cut-key'`;
  const info = await call(gateway, `/key/info?key=${made.body.key}`, MASTER);
  assert.ok(Math.abs(info.body.info.spend - rows!.spend) < 1e-9, `/key/info spend ${info.body.info.spend} = the rows' ${rows!.spend}`);
  const teamInfo = await call(gateway, `/team/info?team_id=${team.body.team_id}`, MASTER);
  assert.ok(Math.abs(teamInfo.body.team_info.spend - rows!.spend) < 1e-9, `/team/info spend ${teamInfo.body.team_info.spend}`);
  const userInfo = await call(gateway, '/user/info?user_id=cut-user', MASTER);
  assert.ok(Math.abs(userInfo.body.user_info.spend - rows!.spend) < 1e-9, `the user made with its key: /user/info spend ${userInfo.body.user_info.spend}`);
  assert.equal((await chat(gateway, other.body.key)).status, 200, 'the uncached key works once PostgreSQL is back');
  const logs = await call(gateway, `/spend/logs?api_key=${made.body.key}&limit=1000`, MASTER);
  assert.equal(logs.body.length, calls + 1, 'the key\'s rows, by the key');
  assert.ok(logs.body.every((row: { api_key: string; team_id: string }) => row.api_key === made.body.token_id && row.team_id === team.body.team_id));
  assert.equal((await call(gateway, `/spend/logs?team_id=${team.body.team_id}&limit=1000`, MASTER)).body.length, calls + 1);
  assert.equal((await call(gateway, '/spend/logs', made.body.key)).status, 401, 'spend logs are for admins');
  await gateway.stop();
});

test('budget reset: spend back to 0 and the next window set, by one process at a time; the key works on through it', async () => {
  const gateway = await host({ workers: 2, extra: { proxy_budget_rescheduler_min_time: 1 } });
  const team = await call(gateway, '/team/new', MASTER, { team_alias: 'resetting', budget_duration: '2s', max_budget: 10 });
  const made = await call(gateway, '/key/generate', MASTER, { team_id: team.body.team_id, budget_duration: '2s', max_budget: 1 });
  assert.equal((await chat(gateway, made.body.key)).status, 200);
  await db.sql`UPDATE "LiteLLM_VerificationToken" SET spend = 0.75 WHERE token = ${made.body.token_id}`;
  await db.sql`UPDATE "LiteLLM_TeamTable" SET spend = 5 WHERE team_id = ${team.body.team_id}`;
  const [first] = await db.sql`SELECT (extract(epoch from budget_reset_at) * 1000)::float8 AS at FROM "LiteLLM_VerificationToken" WHERE token = ${made.body.token_id}`;
  await until('key and team reset', async () => {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const [key] = await db.sql`SELECT spend, (extract(epoch from budget_reset_at) * 1000)::float8 AS at FROM "LiteLLM_VerificationToken" WHERE token = ${made.body.token_id}`;
    const [t] = await db.sql`SELECT spend FROM "LiteLLM_TeamTable" WHERE team_id = ${team.body.team_id}`;
    return key!.spend === 0 && t!.spend === 0 && key!.at > first!.at;
  }, 6_000, 1);
  const info = await call(gateway, `/key/info?key=${made.body.key}`, MASTER);
  assert.ok(Date.parse(info.body.info.budget_reset_at) > Date.now(), 'the next window ends in the future');
  assert.equal((await chat(gateway, made.body.key)).status, 200);
  await gateway.stop();

  // While another process holds the lock, a round does nothing.
  const client = createPostgresClient(db.url, createLogger({ level: 'silent', pretty: false }));
  // The stored end an hour and 0.7 s behind: the window `now` is in ends 1.3 s from now on the 2 s grid it lays down.
  const stored = Date.now() - 3_600_700;
  const now = stored + 3_600_700;
  await db.sql`UPDATE "LiteLLM_VerificationToken" SET budget_reset_at = to_timestamp(${stored / 1000}) AT TIME ZONE 'UTC', spend = 0.5 WHERE token = ${made.body.token_id}`;
  await db.sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(7431171)`;
    assert.equal(await resetBudgets(client, now), undefined, 'another process holds the lock: skipped');
  });
  const changes = await resetBudgets(client, now);
  assert.deepEqual(changes?.filter((c) => c.kind === 'key').map((c) => (c as { id: string }).id), [made.body.token_id]);
  const [moved] = await db.sql`SELECT (extract(epoch from budget_reset_at) * 1000)::float8 AS at FROM "LiteLLM_VerificationToken" WHERE token = ${made.body.token_id}`;
  assert.equal(moved!.at, now + 1_300, 'the next end is on the stored end\'s grid, the window every worker already counts in (not now + 2 s)');
  await client.end(100);
});

test('Redis down while a key is blocked: the other host follows once its subscription is back, not after the TTL', async () => {
  const [a, b] = await Promise.all([host({ workers: 1 }), host({ workers: 1 })]);
  const made = await call(a, '/key/generate', MASTER, {});
  assert.equal((await chat(b, made.body.key)).status, 200, 'B holds the key');
  await redis.stop();
  assert.equal((await call(a, '/key/block', MASTER, { key: made.body.key })).status, 200, 'the change is made without Redis');
  assert.equal((await chat(b, made.body.key)).status, 200, 'B missed the message: it serves from its cache (TTL 60 s)');
  await redis.start();
  const took = await until('blocked on B after Redis returned', async () => (await chat(b, made.body.key)).status === 401, 5_000, 3);
  assert.ok(took < 5_000, `${took} ms`);
  await Promise.all([a.stop(), b.stop()]);
});
