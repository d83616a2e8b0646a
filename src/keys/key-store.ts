import { randomUUID } from 'node:crypto';
import { GatewayError } from '../core/index.js';
import type { SqlClient, SqlQuery } from '../db/index.js';
import { addDuration } from '../limits/index.js';
import type { KeyChange } from './key-invalidation.js';
import { abbreviate, hashToken, newKey, tokenOf } from './key-token.js';
import { assignmentsOf, expressionOf, invalid, KEY_FIELDS, modelLimitsOf, TEAM_FIELDS, USER_FIELDS, type Assignment } from './record-fields.js';

/**
 * LiteLLM's management API on its tables: keys, teams, users. Every call answers in LiteLLM's
 * shape and says which cached records it changed (the caller publishes them). Keys are stored
 * only as the SHA-256 hex of the key; the key itself is in the one answer that made it.
 */

const ISO = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const KEY_COLUMNS = `"token", "key_name", "key_alias", "spend", ${ISO('"expires"')} AS "expires", "models", "aliases", "config", "user_id", "team_id",
  "permissions", "max_parallel_requests", "metadata", "blocked", "tpm_limit", "rpm_limit", "max_budget", "budget_duration",
  ${ISO('"budget_reset_at"')} AS "budget_reset_at", "budget_id", "organization_id", ${ISO('"created_at"')} AS "created_at", "created_by",
  ${ISO('"updated_at"')} AS "updated_at", "updated_by", "model_spend", "model_max_budget"`;

const TEAM_COLUMNS = `"team_id", "team_alias", "organization_id", "admins", "members", "members_with_roles", "metadata", "max_budget", "spend",
  "models", "max_parallel_requests", "tpm_limit", "rpm_limit", "budget_duration", ${ISO('"budget_reset_at"')} AS "budget_reset_at", "blocked",
  ${ISO('"created_at"')} AS "created_at", ${ISO('"updated_at"')} AS "updated_at", "model_spend", "model_max_budget"`;

const USER_COLUMNS = `"user_id", "user_alias", "team_id", "teams", "user_role", "max_budget", "spend", "user_email", "models", "metadata",
  "max_parallel_requests", "tpm_limit", "rpm_limit", "budget_duration", ${ISO('"budget_reset_at"')} AS "budget_reset_at",
  ${ISO('"created_at"')} AS "created_at", ${ISO('"updated_at"')} AS "updated_at", "model_spend", "model_max_budget"`;

type Row = Record<string, unknown>;

export interface Changed<T> {
  readonly result: T;
  readonly changes: readonly KeyChange[];
}

/**
 * A key body's top-level per-model limits (model_rpm_limit …) put in its metadata, as LiteLLM keeps
 * them: into the body's own metadata when it has one (or, for a new key, a new metadata); for an
 * update without one, an assignment that merges them into the key's stored metadata.
 */
function withModelLimits(body: Row, creating: boolean): { body: Row; merge: Assignment[] } {
  const limits = modelLimitsOf(body);
  if (limits === undefined) return { body, merge: [] };
  const metadata = body.metadata;
  if (metadata !== undefined && metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)) return { body: { ...body, metadata: { ...metadata, ...limits } }, merge: [] };
  if (creating) return { body: { ...body, metadata: limits }, merge: [] };
  return { body, merge: [{ column: 'metadata', cast: '::text::jsonb', value: JSON.stringify(limits), merge: true }] };
}

export class KeyStore {
  constructor(private readonly db: SqlClient) {}

  // ---- keys ----

  async generateKey(body: Row, actor: string): Promise<Changed<Row>> {
    const key = optionalString(body, 'key') ?? newKey();
    if (!key.startsWith('sk-')) throw invalid('key', "a key must start with 'sk-'");
    const token = hashToken(key);
    const assignments = [...assignmentsOf(withModelLimits(body, true).body, KEY_FIELDS), ...expiryOf(body), ...resetOf(body)];
    if (await this.exists('LiteLLM_VerificationToken', 'token', token)) throw new GatewayError('invalid_request', 'Unable to create key: a key with this value exists.', { param: 'key' });
    await this.checkAliasFree(body.key_alias, undefined);
    await this.checkTeam(body.team_id);
    await this.ensureUser(body.user_id);
    const base: Assignment[] = [
      { column: 'token', cast: '::text', value: token }, { column: 'key_name', cast: '::text', value: abbreviate(key) },
      { column: 'created_by', cast: '::text', value: actor }, { column: 'updated_by', cast: '::text', value: actor },
    ];
    const row = await this.insert('LiteLLM_VerificationToken', [...base, ...assignments], KEY_COLUMNS);
    return { result: { ...keyShape(row), key, token_id: token }, changes: [{ kind: 'key', id: token }] };
  }

  async keyInfo(keyOrHash: string): Promise<Row> {
    const row = await this.keyRow(tokenOf(keyOrHash));
    return { key: keyOrHash, info: keyShape(row) };
  }

  async updateKey(body: Row, actor: string): Promise<Changed<Row>> {
    const token = tokenOf(requiredString(body, 'key'));
    const { body: fields, merge } = withModelLimits(body, false);
    const assignments = [...assignmentsOf(fields, KEY_FIELDS), ...merge, ...expiryOf(body), ...resetOf(body)];
    await this.checkAliasFree(body.key_alias, token);
    await this.checkTeam(body.team_id);
    await this.ensureUser(body.user_id);
    const row = await this.update('LiteLLM_VerificationToken', 'token', token, [...assignments, { column: 'updated_by', cast: '::text', value: actor }], KEY_COLUMNS, 'key');
    return { result: { key: body.key, ...keyShape(row) }, changes: [{ kind: 'key', id: token }] };
  }

  async setBlocked(body: Row, blocked: boolean): Promise<Changed<Row>> {
    const token = tokenOf(requiredString(body, 'key'));
    const row = await this.update('LiteLLM_VerificationToken', 'token', token, [{ column: 'blocked', cast: '::text::boolean', value: String(blocked) }], KEY_COLUMNS, 'key');
    return { result: keyShape(row), changes: [{ kind: 'key', id: token }] };
  }

  async deleteKeys(body: Row): Promise<Changed<Row>> {
    const keys = optionalList(body, 'keys') ?? [];
    const aliases = optionalList(body, 'key_aliases') ?? [];
    if (keys.length === 0 && aliases.length === 0) throw invalid('keys', 'name at least one key (keys or key_aliases)');
    const rows = await this.db.query<{ token: string }>(
      `DELETE FROM "LiteLLM_VerificationToken" WHERE "token" = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb)))
         OR "key_alias" = ANY(ARRAY(SELECT jsonb_array_elements_text($2::text::jsonb))) RETURNING "token"`,
      [JSON.stringify(keys.map(tokenOf)), JSON.stringify(aliases)],
    );
    if (rows.length === 0) throw new GatewayError('not_found', 'No key to delete: none of the keys named exists.', { param: 'keys' });
    return { result: { deleted_keys: [...keys, ...aliases] }, changes: rows.map((r) => ({ kind: 'key', id: r.token })) };
  }

  async regenerateKey(keyOrHash: string, body: Row, actor: string): Promise<Changed<Row>> {
    const oldToken = tokenOf(keyOrHash);
    const key = optionalString(body, 'new_key') ?? newKey();
    if (!key.startsWith('sk-')) throw invalid('new_key', "a key must start with 'sk-'");
    const token = hashToken(key);
    const assignments = [...assignmentsOf(body, KEY_FIELDS), ...expiryOf(body), ...resetOf(body)];
    const row = await this.update('LiteLLM_VerificationToken', 'token', oldToken, [
      ...assignments, { column: 'token', cast: '::text', value: token }, { column: 'key_name', cast: '::text', value: abbreviate(key) },
      { column: 'updated_by', cast: '::text', value: actor },
    ], KEY_COLUMNS, 'key', ', "rotation_count" = COALESCE("rotation_count", 0) + 1, "last_rotation_at" = now()');
    return { result: { ...keyShape(row), key, token_id: token }, changes: [{ kind: 'key', id: oldToken }, { kind: 'key', id: token }] };
  }

  async listKeys(query: URLSearchParams): Promise<Row> {
    const page = positiveInt(query, 'page', 1);
    const size = Math.min(positiveInt(query, 'size', 10), 100);
    const where: string[] = [];
    const params: unknown[] = [];
    for (const name of ['user_id', 'team_id', 'key_alias']) {
      const value = query.get(name);
      if (value === null || value === '') continue;
      params.push(value);
      where.push(`"${name}" = $${params.length}`);
    }
    const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
    const [count] = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM "LiteLLM_VerificationToken"${clause}`, params);
    const total = Number(count?.n ?? 0);
    const rows = await this.db.query<Row>(`SELECT ${KEY_COLUMNS} FROM "LiteLLM_VerificationToken"${clause} ORDER BY "created_at" DESC NULLS LAST, "token" LIMIT ${size} OFFSET ${(page - 1) * size}`, params);
    const full = query.get('return_full_object') === 'true';
    return {
      keys: rows.map((row) => (full ? { ...keyShape(row), token: row.token } : row.token)),
      total_count: total, current_page: page, total_pages: Math.ceil(total / size),
    };
  }

  // ---- teams ----

  async newTeam(body: Row): Promise<Changed<Row>> {
    const teamId = optionalString(body, 'team_id') ?? randomUUID();
    if (await this.exists('LiteLLM_TeamTable', 'team_id', teamId)) throw new GatewayError('invalid_request', `Team id = ${teamId} already exists. Please use a different team id.`, { param: 'team_id' });
    const base: Assignment[] = [
      { column: 'team_id', cast: '::text', value: teamId }, { column: 'admins', cast: '', value: '[]' }, { column: 'members', cast: '', value: '[]' },
    ];
    const row = await this.insert('LiteLLM_TeamTable', [...base, ...assignmentsOf(body, TEAM_FIELDS), ...resetOf(body)], TEAM_COLUMNS);
    return { result: teamShape(row), changes: [] };
  }

  async updateTeam(body: Row): Promise<Changed<Row>> {
    const teamId = requiredString(body, 'team_id');
    const row = await this.update('LiteLLM_TeamTable', 'team_id', teamId, [...assignmentsOf(body, TEAM_FIELDS), ...resetOf(body)], TEAM_COLUMNS, 'team');
    return { result: { team_id: teamId, data: teamShape(row) }, changes: [{ kind: 'team', id: teamId }] };
  }

  /** Deletes teams and their keys, as LiteLLM does. */
  async deleteTeams(body: Row): Promise<Changed<Row>> {
    const ids = optionalList(body, 'team_ids');
    if (ids === undefined || ids.length === 0) throw invalid('team_ids', 'name at least one team');
    return this.db.transaction(async (tx) => {
      const teams = await tx.query<{ team_id: string }>(`DELETE FROM "LiteLLM_TeamTable" WHERE "team_id" = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb))) RETURNING "team_id"`, [JSON.stringify(ids)]);
      if (teams.length === 0) throw new GatewayError('not_found', `Team not found, passed team_ids=${JSON.stringify(ids)}`, { param: 'team_ids' });
      const keys = await tx.query<{ token: string }>(`DELETE FROM "LiteLLM_VerificationToken" WHERE "team_id" = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb))) RETURNING "token"`, [JSON.stringify(ids)]);
      const changes: KeyChange[] = [...teams.map((t) => ({ kind: 'team' as const, id: t.team_id })), ...keys.map((k) => ({ kind: 'key' as const, id: k.token }))];
      return { result: { deleted_teams: teams.map((t) => t.team_id), deleted_keys: keys.length }, changes };
    });
  }

  async teamInfo(teamId: string): Promise<Row> {
    const [row] = await this.db.query<Row>(`SELECT ${TEAM_COLUMNS} FROM "LiteLLM_TeamTable" WHERE "team_id" = $1`, [teamId]);
    if (row === undefined) throw new GatewayError('not_found', `Team not found, passed team_id=${teamId}`, { param: 'team_id' });
    const keys = await this.db.query<Row>(`SELECT ${KEY_COLUMNS} FROM "LiteLLM_VerificationToken" WHERE "team_id" = $1 ORDER BY "created_at" NULLS LAST`, [teamId]);
    return { team_id: teamId, team_info: teamShape(row), keys: keys.map((k) => ({ ...keyShape(k), token: k.token })), team_memberships: [] };
  }

  async listTeams(): Promise<Row[]> {
    const rows = await this.db.query<Row>(`SELECT ${TEAM_COLUMNS} FROM "LiteLLM_TeamTable" ORDER BY "created_at", "team_id" LIMIT 1000`);
    return rows.map(teamShape);
  }

  // ---- users ----

  /** Creates a user and, as LiteLLM's `/user/new` does, a key for it (unless `auto_create_key: false`). */
  async newUser(body: Row, actor: string): Promise<Changed<Row>> {
    const userId = optionalString(body, 'user_id') ?? randomUUID();
    if (await this.exists('LiteLLM_UserTable', 'user_id', userId)) throw new GatewayError('invalid_request', `User with id ${userId} already exists.`, { param: 'user_id' });
    const row = await this.insert('LiteLLM_UserTable', [{ column: 'user_id', cast: '::text', value: userId }, ...assignmentsOf(body, USER_FIELDS), ...resetOf(body)], USER_COLUMNS);
    const user = userShape(row);
    if (body.auto_create_key === false) return { result: user, changes: [{ kind: 'user', id: userId }] };
    const keyBody: Row = { user_id: userId };
    for (const name of ['models', 'key_alias', 'duration', 'team_id', 'aliases']) if (body[name] !== undefined) keyBody[name] = body[name];
    const made = await this.generateKey(keyBody, actor);
    return { result: { ...user, key: made.result.key, token_id: made.result.token_id, expires: made.result.expires }, changes: [{ kind: 'user', id: userId }, ...made.changes] };
  }

  async userInfo(userId: string): Promise<Row> {
    const [row] = await this.db.query<Row>(`SELECT ${USER_COLUMNS} FROM "LiteLLM_UserTable" WHERE "user_id" = $1`, [userId]);
    if (row === undefined) throw new GatewayError('not_found', `User ${userId} not found`, { param: 'user_id' });
    const keys = await this.db.query<Row>(`SELECT ${KEY_COLUMNS} FROM "LiteLLM_VerificationToken" WHERE "user_id" = $1 ORDER BY "created_at" NULLS LAST`, [userId]);
    const teamIds = Array.isArray(row.teams) ? row.teams as string[] : [];
    const teams = teamIds.length === 0 ? [] : await this.db.query<Row>(`SELECT ${TEAM_COLUMNS} FROM "LiteLLM_TeamTable" WHERE "team_id" = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb)))`, [JSON.stringify(teamIds)]);
    return { user_id: userId, user_info: userShape(row), keys: keys.map((k) => ({ ...keyShape(k), token: k.token })), teams: teams.map(teamShape) };
  }

  // ---- helpers ----

  private async keyRow(token: string): Promise<Row> {
    const [row] = await this.db.query<Row>(`SELECT ${KEY_COLUMNS} FROM "LiteLLM_VerificationToken" WHERE "token" = $1`, [token]);
    if (row === undefined) throw new GatewayError('not_found', 'Key not found in database', { param: 'key' });
    return row;
  }

  private async exists(table: string, column: string, value: string): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM "${table}" WHERE "${column}" = $1`, [value])).length > 0;
  }

  private async checkAliasFree(alias: unknown, token: string | undefined): Promise<void> {
    if (typeof alias !== 'string') return;
    const rows = await this.db.query<{ token: string }>(`SELECT "token" FROM "LiteLLM_VerificationToken" WHERE "key_alias" = $1`, [alias]);
    if (rows.some((r) => r.token !== token)) throw new GatewayError('invalid_request', `Unique key aliases across all keys are required. Key alias=${alias} already exists.`, { param: 'key_alias' });
  }

  /** A key's team must exist (LiteLLM refuses a key for an unknown team). */
  private async checkTeam(teamId: unknown): Promise<void> {
    if (typeof teamId !== 'string') return;
    if (!(await this.exists('LiteLLM_TeamTable', 'team_id', teamId))) throw new GatewayError('invalid_request', `Team not found, passed team_id=${teamId}`, { param: 'team_id' });
  }

  /** A key's user is created when it does not exist yet, as LiteLLM's key generation does, so that its spend has a row to go to. */
  private async ensureUser(userId: unknown): Promise<void> {
    if (typeof userId !== 'string') return;
    await this.db.query(`INSERT INTO "LiteLLM_UserTable" ("user_id", "models", "teams") VALUES ($1, ARRAY[]::TEXT[], ARRAY[]::TEXT[]) ON CONFLICT ("user_id") DO NOTHING`, [userId]);
  }

  private async insert(table: string, assignments: readonly Assignment[], columns: string): Promise<Row> {
    const names = assignments.map((a) => `"${a.column}"`).join(', ');
    const values = assignments.map((a, i) => expressionOf(a, i + 1)).join(', ');
    const [row] = await this.db.query<Row>(`INSERT INTO "${table}" (${names}) VALUES (${values}) RETURNING ${columns}`, assignments.map((a) => a.value));
    return row as Row;
  }

  private async update(table: string, idColumn: string, id: string, assignments: readonly Assignment[], columns: string, what: string, extra = ''): Promise<Row> {
    const sets = assignments.map((a, i) => `"${a.column}" = ${expressionOf(a, i + 1)}`);
    sets.push('"updated_at" = now()');
    const [row] = await this.db.query<Row>(
      `UPDATE "${table}" SET ${sets.join(', ')}${extra} WHERE "${idColumn}" = $${assignments.length + 1} RETURNING ${columns}`,
      [...assignments.map((a) => a.value), id],
    );
    if (row === undefined) throw new GatewayError('not_found', `${what === 'key' ? 'Key' : what === 'team' ? 'Team' : 'User'} not found: ${what === 'key' ? abbreviated(id) : id}`, { param: idColumn === 'token' ? 'key' : idColumn });
    return row;
  }
}

/** `duration` ("30d", null: never) or `expires` (an ISO time) → the `expires` column. */
function expiryOf(body: Row): Assignment[] {
  if (body.duration !== undefined) {
    if (body.duration === null) return [{ column: 'expires', cast: '::text::timestamp(3)', value: null }];
    const at = typeof body.duration === 'string' ? addDuration(Date.now(), body.duration) : undefined;
    if (at === undefined) throw invalid('duration', 'expected a duration such as "30s", "10m", "1h", "30d" or "1mo", or null');
    return [{ column: 'expires', cast: '::text::timestamp(3)', value: new Date(at).toISOString() }];
  }
  if (body.expires !== undefined) {
    if (body.expires === null) return [{ column: 'expires', cast: '::text::timestamp(3)', value: null }];
    const at = typeof body.expires === 'string' ? Date.parse(body.expires) : Number.NaN;
    if (Number.isNaN(at)) throw invalid('expires', 'expected an ISO-8601 time or null');
    return [{ column: 'expires', cast: '::text::timestamp(3)', value: new Date(at).toISOString() }];
  }
  return [];
}

/** A budget_duration set now starts its first window now (LiteLLM sets budget_reset_at with it). */
function resetOf(body: Row): Assignment[] {
  if (body.budget_duration === undefined) return [];
  const at = typeof body.budget_duration === 'string' ? addDuration(Date.now(), body.budget_duration) : undefined;
  return [{ column: 'budget_reset_at', cast: '::text::timestamp(3)', value: at === undefined ? null : new Date(at).toISOString() }];
}

/** A key row as LiteLLM shows it: without the token (the hash), BIGINTs as numbers. */
function keyShape(row: Row): Row {
  const { token: _token, ...rest } = row;
  return numbers(rest, ['tpm_limit', 'rpm_limit']);
}

function teamShape(row: Row): Row {
  return numbers(row, ['tpm_limit', 'rpm_limit']);
}

function userShape(row: Row): Row {
  return numbers(row, ['tpm_limit', 'rpm_limit']);
}

function numbers(row: Row, names: readonly string[]): Row {
  const out = { ...row };
  for (const name of names) if (out[name] !== null && out[name] !== undefined) out[name] = Number(out[name]);
  return out;
}

function abbreviated(token: string): string {
  return `${token.slice(0, 6)}…`;
}

function optionalString(body: Row, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw invalid(name, 'expected a non-empty string');
  return value;
}

function requiredString(body: Row, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined) throw invalid(name, 'required');
  return value;
}

function optionalList(body: Row, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(name, 'expected a list of strings');
  return value as string[];
}

function positiveInt(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(name, 'expected a whole number of at least 1');
  return n;
}

export type { SqlQuery };
