import { parseDocument, type ScalarTag } from 'yaml';
import type { ConfigProblem } from './problems.js';

/**
 * YAML as LiteLLM's Python parser (PyYAML) reads it: YAML 1.1 merge keys, `450_000`, `1e+06`,
 * `~`. Where the `yaml` library's 1.1 schema and PyYAML disagree, PyYAML wins:
 * - booleans are only yes/no/true/false/on/off (PyYAML does not read `y` or `n` as booleans);
 * - unquoted dates stay the strings their authors meant (PyYAML makes date objects that LiteLLM
 *   then sends upstream as text, so a string is the faithful reading).
 */
const PYYAML_BOOL: ScalarTag = {
  identify: (value) => typeof value === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (text) => /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text),
  stringify: ({ value }) => (value ? 'true' : 'false'),
};

const DROPPED_TAGS = new Set(['tag:yaml.org,2002:timestamp', 'tag:yaml.org,2002:bool']);

export function parseYaml(text: string, fileLabel: string): { value: unknown; problems: ConfigProblem[] } {
  const doc = parseDocument(text, {
    version: '1.1',
    merge: true,
    uniqueKeys: false,
    prettyErrors: true,
    customTags: (tags) => [
      ...tags.filter((tag) => (typeof tag === 'string' ? tag !== 'timestamp' && tag !== 'bool' : !DROPPED_TAGS.has(tag.tag))),
      PYYAML_BOOL,
    ],
  });
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      problems: doc.errors.map((error) => ({ path: fileLabel, message: `YAML syntax: ${error.message.split('\n')[0]}` })),
    };
  }
  return { value: doc.toJS({ maxAliasCount: 10_000 }), problems: [] };
}
