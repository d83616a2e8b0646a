import { OTHER_MODEL_GROUP } from './catalogue.js';

/** Requested names remembered; past this, names are resolved each time (bounded memory, same answer). */
const CACHE_LIMIT = 1_000;

/**
 * The `model_group` label for a requested model name: the config's model group it belongs to
 * (a wildcard group's pattern, never the name the client sent), or `other`. Exact names cost one
 * set look-up; names reached through a pattern are resolved once and remembered.
 */
export class ModelGroupLabels {
  private readonly exact: ReadonlySet<string>;
  private readonly cache = new Map<string, string>();

  constructor(modelGroups: readonly string[], private readonly resolve: (requested: string) => string | undefined = () => undefined) {
    this.exact = new Set(modelGroups);
  }

  label(requested: string): string {
    if (this.exact.has(requested)) return requested;
    const cached = this.cache.get(requested);
    if (cached !== undefined) return cached;
    const group = this.resolve(requested);
    const label = group !== undefined && this.exact.has(group) ? group : OTHER_MODEL_GROUP;
    if (this.cache.size < CACHE_LIMIT) this.cache.set(requested, label);
    return label;
  }
}
