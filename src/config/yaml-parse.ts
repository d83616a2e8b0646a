import { parseDocument } from 'yaml';
import type { ConfigProblem } from './problems.js';

/**
 * YAML as LiteLLM's Python parser reads it (YAML 1.1): merge keys, `450_000`, `1e+06`, `~`.
 * Unquoted dates stay the strings their authors meant: PyYAML would make them date objects that
 * LiteLLM then sends upstream as text, so a string is the faithful reading.
 */
export function parseYaml(text: string, fileLabel: string): { value: unknown; problems: ConfigProblem[] } {
  const doc = parseDocument(text, {
    version: '1.1',
    merge: true,
    uniqueKeys: false,
    prettyErrors: true,
    customTags: (tags) => tags.filter((tag) => (typeof tag === 'string' ? tag !== 'timestamp' : tag.tag !== 'tag:yaml.org,2002:timestamp')),
  });
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      problems: doc.errors.map((error) => ({ path: fileLabel, message: `YAML syntax: ${error.message.split('\n')[0]}` })),
    };
  }
  return { value: doc.toJS({ maxAliasCount: 10_000 }), problems: [] };
}
