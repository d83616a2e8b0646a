import type { LimitScope } from '../limits/index.js';

/**
 * Who a virtual key is, as the request path needs it: read from the database once and cached
 * (key-cache.ts). Times are epoch ms. `models` empty (or holding `all-proxy-models`) means every
 * model; `teamModels` likewise for the team (undefined: no team).
 */
export interface Caller {
  readonly tokenHash: string;
  readonly keyAlias: string | null;
  readonly keyName: string | null;
  readonly teamId: string | null;
  readonly teamAlias: string | null;
  readonly userId: string | null;
  readonly models: readonly string[];
  readonly teamModels: readonly string[] | undefined;
  /** Requested name → model group (the key's `aliases`). */
  readonly aliases: Readonly<Record<string, string>>;
  /** Key first, then team, then user; only those that exist. */
  readonly scopes: readonly LimitScope[];
  /**
   * The key's limits per model group (LiteLLM's `model_rpm_limit`, `model_tpm_limit` and
   * `model_max_parallel_requests` in its metadata), as `model_per_key` scopes: a call to that
   * group is counted against it too.
   */
  readonly modelScopes: ReadonlyMap<string, LimitScope>;
  /** The key's user has LiteLLM's `proxy_admin` role (or the key's metadata says so): it may manage keys. */
  readonly admin: boolean;
  readonly expiresAt: number | null;
  readonly blocked: boolean;
  readonly teamBlocked: boolean;
}

/** A row of the look-up query (key-store.ts). */
export interface CallerRow {
  token: string;
  key_alias: string | null;
  key_name: string | null;
  team_id: string | null;
  user_id: string | null;
  models: string[] | null;
  aliases: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
  blocked: boolean | null;
  expires_ms: number | null;
  spend: number;
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_ms: number | null;
  rpm_limit: string | number | null;
  tpm_limit: string | number | null;
  max_parallel_requests: number | null;
  b_max_budget: number | null;
  b_rpm_limit: string | number | null;
  b_tpm_limit: string | number | null;
  b_max_parallel_requests: number | null;
  b_budget_duration: string | null;
  team_exists: boolean | null;
  team_alias: string | null;
  team_models: string[] | null;
  team_blocked: boolean | null;
  team_spend: number | null;
  team_max_budget: number | null;
  team_budget_duration: string | null;
  team_budget_reset_ms: number | null;
  team_rpm_limit: string | number | null;
  team_tpm_limit: string | number | null;
  team_max_parallel_requests: number | null;
  user_exists: boolean | null;
  user_role: string | null;
  user_spend: number | null;
  user_max_budget: number | null;
  user_budget_duration: string | null;
  user_budget_reset_ms: number | null;
  user_rpm_limit: string | number | null;
  user_tpm_limit: string | number | null;
  user_max_parallel_requests: number | null;
}

const ADMIN_ROLES = new Set(['proxy_admin']);

export function callerFromRow(row: CallerRow): Caller {
  const scopes: LimitScope[] = [{
    kind: 'key', id: row.token,
    rpm: num(row.rpm_limit) ?? num(row.b_rpm_limit), tpm: num(row.tpm_limit) ?? num(row.b_tpm_limit),
    maxParallel: num(row.max_parallel_requests) ?? num(row.b_max_parallel_requests),
    maxBudget: num(row.max_budget) ?? num(row.b_max_budget), budgetDuration: row.budget_duration ?? row.b_budget_duration,
    budgetResetAt: num(row.budget_reset_ms), spend: num(row.spend) ?? 0,
  }];
  if (row.team_exists === true && row.team_id !== null) {
    scopes.push({
      kind: 'team', id: row.team_id, rpm: num(row.team_rpm_limit), tpm: num(row.team_tpm_limit), maxParallel: num(row.team_max_parallel_requests),
      maxBudget: num(row.team_max_budget), budgetDuration: row.team_budget_duration, budgetResetAt: num(row.team_budget_reset_ms), spend: num(row.team_spend) ?? 0,
    });
  }
  if (row.user_exists === true && row.user_id !== null) {
    scopes.push({
      kind: 'user', id: row.user_id, rpm: num(row.user_rpm_limit), tpm: num(row.user_tpm_limit), maxParallel: num(row.user_max_parallel_requests),
      maxBudget: num(row.user_max_budget), budgetDuration: row.user_budget_duration, budgetResetAt: num(row.user_budget_reset_ms), spend: num(row.user_spend) ?? 0,
    });
  }
  const aliases: Record<string, string> = {};
  for (const [name, target] of Object.entries(row.aliases ?? {})) if (typeof target === 'string') aliases[name] = target;
  const metadataRole = row.metadata?.user_role;
  return {
    tokenHash: row.token,
    keyAlias: row.key_alias,
    keyName: row.key_name,
    teamId: row.team_id,
    teamAlias: row.team_alias,
    userId: row.user_id,
    models: row.models ?? [],
    teamModels: row.team_exists === true ? row.team_models ?? [] : undefined,
    aliases,
    scopes,
    modelScopes: modelScopesOf(row.token, row.metadata),
    admin: ADMIN_ROLES.has(row.user_role ?? '') || (typeof metadataRole === 'string' && ADMIN_ROLES.has(metadataRole)),
    expiresAt: num(row.expires_ms),
    blocked: row.blocked === true,
    teamBlocked: row.team_blocked === true,
  };
}

/** LiteLLM's per-model limits of a key, from its metadata: one scope per model group named. */
function modelScopesOf(token: string, metadata: Record<string, unknown> | null): ReadonlyMap<string, LimitScope> {
  const scopes = new Map<string, LimitScope>();
  if (metadata === null) return scopes;
  const rpm = limitsByModel(metadata.model_rpm_limit);
  const tpm = limitsByModel(metadata.model_tpm_limit);
  const parallel = limitsByModel(metadata.model_max_parallel_requests);
  for (const group of new Set([...rpm.keys(), ...tpm.keys(), ...parallel.keys()])) {
    scopes.set(group, {
      kind: 'model_per_key', id: `${token}:${group}`, rpm: rpm.get(group) ?? null, tpm: tpm.get(group) ?? null, maxParallel: parallel.get(group) ?? null,
      maxBudget: null, budgetDuration: null, budgetResetAt: null, spend: 0,
    });
  }
  return scopes;
}

/** `{group: limit}`; entries that are not a number ≥ 0 are ignored (the management API refuses them). */
function limitsByModel(value: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [group, limit] of Object.entries(value)) {
    const n = num(limit as string | number | null);
    if (n !== null && n >= 0) out.set(group, n);
  }
  return out;
}

/** BIGINT columns arrive as text; NULL stays null. */
function num(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
