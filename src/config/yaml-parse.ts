import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { formatPath, type ConfigProblem, type PathSegment } from './problems.js';
import { PYYAML_BOOL, PYYAML_FLOAT, PYYAML_INT, REPLACED_TAGS } from './pyyaml-tags.js';

/**
 * YAML as LiteLLM's Python parser (PyYAML `safe_load`) reads it: YAML 1.1 merge keys (`<<: *a`,
 * `<<: [*a, *b]`, where earlier maps win and the map's own keys beat all of them), `450_000`, `~`,
 * and PyYAML's own scalar rules (pyyaml-tags.ts). Two deliberate differences, both warnings or
 * strings rather than failures:
 * - unquoted dates (`2024-06-01`) stay the strings their authors meant: PyYAML makes date objects
 *   that LiteLLM then sends upstream as text, so the string is the faithful reading;
 * - a duplicate key keeps the last value, as PyYAML does, and is named in a warning (PyYAML says
 *   nothing, which hides copy-paste mistakes).
 */

export interface ParsedYaml {
  value: unknown;
  problems: ConfigProblem[];
  /** Duplicate keys as `key.path (line N)`, in document order. */
  duplicates: string[];
  /** The YAML library's own remarks (unknown tags, …), one line each. */
  remarks: string[];
}

export function parseYaml(text: string, fileLabel: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    merge: true,
    uniqueKeys: false,
    prettyErrors: true,
    lineCounter,
    customTags: (tags) => [
      ...tags.filter((tag) => (typeof tag === 'string' ? !['timestamp', 'bool', 'int', 'float'].includes(tag) : !REPLACED_TAGS.has(tag.tag))),
      PYYAML_BOOL,
      PYYAML_INT,
      PYYAML_FLOAT,
    ],
  });
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      problems: doc.errors.map((error) => ({ path: fileLabel, message: `YAML syntax: ${error.message.split('\n')[0]}` })),
      duplicates: [],
      remarks: [],
    };
  }
  const duplicates: string[] = [];
  findDuplicateKeys(doc.contents, [], (path, offset) => duplicates.push(`${formatPath(path)} (line ${lineCounter.linePos(offset).line})`));
  return {
    value: doc.toJS({ maxAliasCount: 10_000 }),
    problems: [],
    duplicates,
    remarks: doc.warnings.map((warning) => warning.message.split('\n')[0] ?? ''),
  };
}

/**
 * Walks the document as written (aliases are not followed: what they point to is walked where it
 * is defined) and reports every mapping key that appears again later in the same mapping. Merge
 * keys (`<<`) are not duplicates: overriding merged values is what they are for.
 */
function findDuplicateKeys(node: Node | null | undefined, path: PathSegment[], report: (path: PathSegment[], offset: number) => void): void {
  if (node === null || node === undefined || isAlias(node) || isScalar(node)) return;
  if (isSeq(node)) {
    node.items.forEach((item, index) => findDuplicateKeys(item as Node, [...path, index], report));
    return;
  }
  if (!isMap(node)) return;
  const seen = new Set<string>();
  for (const pair of node.items) {
    const key = pair.key as Node | null;
    const name = isScalar(key) ? (typeof key.value === 'symbol' ? undefined : String(key.value)) : String(key);
    if (name === undefined) continue; // a merge key
    if (seen.has(name)) report([...path, name], key?.range?.[0] ?? 0);
    seen.add(name);
    findDuplicateKeys(pair.value as Node | null, [...path, name], report);
  }
}
