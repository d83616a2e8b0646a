/**
 * The limits of one scope a call is counted against: its key, its team, its user, and its key's
 * limits for the model group it calls (LiteLLM's `model_per_key`). Built by src/keys from the key
 * record (caller.ts), enforced here (limit-gate.ts).
 */
export interface LimitScope {
  readonly kind: 'key' | 'team' | 'user' | 'model_per_key';
  /** key: the token's SHA-256 hex; team: team_id; user: user_id; model_per_key: `<token>:<model group>`. */
  readonly id: string;
  /** null: no limit. */
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly maxParallel: number | null;
  /** USD. */
  readonly maxBudget: number | null;
  /** LiteLLM's form: '30s', '10m', '1h', '1d', '30d', '1mo'. */
  readonly budgetDuration: string | null;
  /** Epoch ms of the current window's end, as stored. */
  readonly budgetResetAt: number | null;
  /** Last known spend of the current window, from the database. */
  readonly spend: number;
}

/** One `T` per scope kind (a call has at most one scope of each): the one place that lists the kinds. */
export function perScopeKind<T>(make: () => T): Record<LimitScope['kind'], T> {
  return { key: make(), team: make(), user: make(), model_per_key: make() };
}
