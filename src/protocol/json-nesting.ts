/**
 * How deep a request body may nest JSON objects and arrays inside one another. Bodies are passed
 * upstream with JSON.stringify, which recurses: a few thousand levels (12 KB of `[[[[…`) overflow
 * its stack, and so would any other recursive walk. Real payloads are shallow (a tool's JSON
 * schema rarely passes 20 levels), so the limit is far above them and far below the stack.
 */
export const MAX_JSON_NESTING = 100;

/** Segments of the reported path: enough to name the field, not the whole tower under it. */
const REPORTED_SEGMENTS = 6;

export interface NestingProblem {
  /** Where the limit was crossed, as far as it names a field. */
  path: Array<string | number>;
  message: string;
}

/**
 * The first place where `value` nests deeper than `MAX_JSON_NESTING`, or undefined. Checked
 * before any other work on a body. The walk recurses, but never deeper than the limit, so it is
 * safe on any input; it visits each object and array once and skips everything else.
 */
export function nestingProblem(value: unknown): NestingProblem | undefined {
  const path = tooDeepAt(value, 1);
  if (path === undefined) return undefined;
  path.reverse();
  return {
    path: path.slice(0, REPORTED_SEGMENTS),
    message: `JSON nested more than ${MAX_JSON_NESTING} levels deep (objects and arrays inside one another); flatten it`,
  };
}

/** The path (innermost segment first) down to the first container past the limit. */
function tooDeepAt(value: unknown, depth: number): Array<string | number> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_JSON_NESTING) return [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      const below = tooDeepAt(item, depth + 1);
      if (below !== undefined) {
        below.push(i);
        return below;
      }
    }
    return undefined;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item === null || typeof item !== 'object') continue;
    const below = tooDeepAt(item, depth + 1);
    if (below !== undefined) {
      below.push(key);
      return below;
    }
  }
  return undefined;
}
