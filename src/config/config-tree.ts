/** Small helpers for the config as parsed YAML: plain data, nothing validated yet. */

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `~` / `null` mean "not set", everywhere, as they do for LiteLLM (a None parameter is a missing
 * one): keys whose value is null are removed from every mapping, at any depth. Nulls inside lists
 * are kept, so that the schema can point at them.
 */
export function dropNullValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullValues);
  if (!isMapping(value)) return value;
  const out: Mapping = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && item !== undefined) out[key] = dropNullValues(item);
  }
  return out;
}

export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => isDeepEqual(item, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && isDeepEqual(a[key], b[key]));
  }
  return Number.isNaN(a) && Number.isNaN(b);
}
