import { GatewayError } from '../core/index.js';
import { parseDuration } from '../limits/index.js';

/**
 * The fields a management call may set on a key, a team or a user, as LiteLLM names them, and how
 * each is checked and written. A field left out of the body is left as it is; `null` clears a
 * nullable one.
 */
export type FieldKind = 'text' | 'textList' | 'number' | 'int' | 'json' | 'bool' | 'duration';

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  /** The column; the field's own name when unset. */
  readonly column?: string;
  /** Null is refused (a NOT NULL column: lists and JSON). */
  readonly required?: boolean;
}

const LIMIT_FIELDS: readonly FieldSpec[] = [
  { name: 'max_budget', kind: 'number' }, { name: 'budget_duration', kind: 'duration' },
  { name: 'tpm_limit', kind: 'int' }, { name: 'rpm_limit', kind: 'int' }, { name: 'max_parallel_requests', kind: 'int' },
  { name: 'models', kind: 'textList', required: true }, { name: 'metadata', kind: 'json', required: true },
];

export const KEY_FIELDS: readonly FieldSpec[] = [
  ...LIMIT_FIELDS, { name: 'key_alias', kind: 'text' }, { name: 'team_id', kind: 'text' }, { name: 'user_id', kind: 'text' },
  { name: 'aliases', kind: 'json', required: true }, { name: 'blocked', kind: 'bool' }, { name: 'budget_id', kind: 'text' },
];

export const TEAM_FIELDS: readonly FieldSpec[] = [
  ...LIMIT_FIELDS, { name: 'team_alias', kind: 'text' }, { name: 'blocked', kind: 'bool', required: true },
  { name: 'organization_id', kind: 'text' },
];

export const USER_FIELDS: readonly FieldSpec[] = [
  ...LIMIT_FIELDS, { name: 'user_alias', kind: 'text' }, { name: 'user_email', kind: 'text' }, { name: 'user_role', kind: 'text' },
  { name: 'team_id', kind: 'text' }, { name: 'teams', kind: 'textList', required: true },
];

/**
 * LiteLLM's per-model limits of a key: top-level fields of `/key/generate` and `/key/update` that
 * it keeps in the key's metadata (`{"<model group>": <limit>}` each). Enforced per model group
 * (LiteLLM's `model_per_key`).
 */
const MODEL_LIMIT_FIELDS = ['model_rpm_limit', 'model_tpm_limit', 'model_max_parallel_requests'] as const;

/** The per-model limits a body sets, checked, as metadata fields; undefined when it sets none. */
export function modelLimitsOf(body: Record<string, unknown>): Record<string, Record<string, number>> | undefined {
  let out: Record<string, Record<string, number>> | undefined;
  for (const name of MODEL_LIMIT_FIELDS) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw invalid(name, 'expected an object of model group → limit');
    const limits: Record<string, number> = {};
    for (const [group, limit] of Object.entries(value as Record<string, unknown>)) {
      if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) throw invalid(name, `${group}: expected a whole number ≥ 0`);
      limits[group] = limit;
    }
    (out ??= {})[name] = limits;
  }
  return out;
}

/** LiteLLM's user roles. */
const USER_ROLES = new Set(['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer', 'team', 'customer']);

/** One column to set: its name, the SQL that reads the parameter, the parameter. */
export interface Assignment {
  readonly column: string;
  readonly cast: string;
  readonly value: string | null;
  /** A jsonb object merged into the column's (an UPDATE only), not put in its place. */
  readonly merge?: true;
}

const CASTS: Record<FieldKind, string> = {
  text: '::text', duration: '::text', number: '::float8', int: '::bigint', bool: '::text::boolean',
  json: '::text::jsonb', textList: '',
};

/** The assignments a body asks for, checked; a wrong type is a 400 naming the field. */
export function assignmentsOf(body: Record<string, unknown>, fields: readonly FieldSpec[]): Assignment[] {
  const out: Assignment[] = [];
  for (const field of fields) {
    if (!(field.name in body) || body[field.name] === undefined) continue;
    out.push({ column: field.column ?? field.name, cast: CASTS[field.kind], value: checked(field, body[field.name]) });
  }
  return out;
}

/** The SQL expression of an assignment with its parameter at `$n`. */
export function expressionOf(assignment: Assignment, n: number): string {
  if (assignment.merge === true) return `COALESCE("${assignment.column}", '{}'::jsonb) || $${n}::text::jsonb`;
  if (assignment.cast === '') return `ARRAY(SELECT jsonb_array_elements_text($${n}::text::jsonb))`;
  return `$${n}${assignment.cast}`;
}

function checked(field: FieldSpec, value: unknown): string | null {
  if (value === null) {
    if (field.required === true) throw invalid(field.name, 'may not be null');
    return null;
  }
  switch (field.kind) {
    case 'text':
      if (typeof value !== 'string') throw invalid(field.name, 'expected a string');
      if (field.name === 'user_role' && !USER_ROLES.has(value)) throw invalid(field.name, `expected one of ${[...USER_ROLES].join(', ')}`);
      return value;
    case 'duration':
      if (typeof value !== 'string' || parseDuration(value) === undefined) throw invalid(field.name, 'expected a duration such as "30s", "10m", "1h", "30d" or "1mo"');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(field.name, 'expected a number of at least 0');
      return String(value);
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(field.name, 'expected a whole number of at least 0');
      return String(value);
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(field.name, 'expected true or false');
      return String(value);
    case 'json':
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(field.name, 'expected an object');
      if (field.name === 'aliases' && Object.values(value).some((v) => typeof v !== 'string')) throw invalid(field.name, 'expected an object of model names');
      return JSON.stringify(value);
    case 'textList':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(field.name, 'expected a list of strings');
      return JSON.stringify(value);
  }
}

export function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${message}`, { param });
}
