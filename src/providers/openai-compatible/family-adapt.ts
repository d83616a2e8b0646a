import type { Family } from './families.js';

/**
 * A family's differences from OpenAI applied to one chat or completion body: fields renamed,
 * values respelled, refused fields left out. Pure; copies the body only when something changes.
 */
export type BodyAdapter = (body: Record<string, unknown>, dropped: string[]) => Record<string, unknown>;

/** The adapter for a family, or undefined when its API takes OpenAI's request as it is. */
export function familyAdapter(family: Family): BodyAdapter | undefined {
  const renames = Object.entries(family.renames ?? {});
  const values = Object.entries(family.values ?? {});
  const drops = family.drops ?? [];
  if (renames.length === 0 && values.length === 0 && drops.length === 0) return undefined;
  return (body, dropped) => {
    let out: Record<string, unknown> | undefined;
    const own = () => (out ??= { ...body });
    for (const field of drops) {
      if (!Object.hasOwn(body, field)) continue;
      delete own()[field];
      dropped.push(field);
    }
    for (const [from, to] of renames) {
      if (!Object.hasOwn(body, from)) continue;
      const target = own();
      const value = target[from];
      delete target[from];
      // The API's own name, when the request sets it too, is what the caller meant for this API.
      if (target[to] == null) target[to] = value;
    }
    for (const [field, table] of values) {
      const value = (out ?? body)[field];
      if (typeof value === 'string' && Object.hasOwn(table, value)) own()[field] = table[value];
    }
    return out ?? body;
  };
}

/** The model name as the family's API wants it. */
export function familyModel(family: Family, model: string): string {
  const rule = family.modelPrefix;
  return rule === undefined || model.startsWith(rule.unlessStartsWith) ? model : `${rule.prefix}${model}`;
}
