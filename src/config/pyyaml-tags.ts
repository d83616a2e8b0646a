import type { ScalarTag } from 'yaml';

/**
 * Plain-scalar resolution exactly as PyYAML's implicit resolvers do it (YAML 1.1), which is how
 * LiteLLM reads its config. The `yaml` library's 1.1 schema differs in ways that change values:
 * it reads `1e+06` and even the key `e2` as numbers, `09` as 9 and `y`/`n` as booleans, while
 * PyYAML keeps all of those strings. Numbers only exist where PyYAML's regular expressions say so;
 * everything else stays the string the author wrote (the schema turns numeric strings into numbers
 * where a number is expected, so `tpm: 1e+06` still means a million).
 */

export const PYYAML_BOOL: ScalarTag = {
  identify: (value) => typeof value === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (text) => /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text),
  stringify: ({ value }) => (value ? 'true' : 'false'),
};

// PyYAML: binary, octal (leading 0), decimal (no leading 0), hex, base 60 (`1:30` is 90).
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;

export const PYYAML_INT: ScalarTag = {
  identify: (value) => typeof value === 'number' && Number.isInteger(value),
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: INT,
  resolve: (text) => resolveInt(text),
  stringify: ({ value }) => String(value),
};

// PyYAML: a float needs a dot (`1.0e+06`, `.5`, `1.`) and an exponent needs its sign; `.inf`, `.nan`.
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

export const PYYAML_FLOAT: ScalarTag = {
  identify: (value) => typeof value === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:float',
  test: FLOAT,
  resolve: (text) => resolveFloat(text),
  stringify: ({ value }) => String(value),
};

/** Tags of the `yaml` 1.1 schema replaced above, plus timestamps (see yaml-parse.ts). */
export const REPLACED_TAGS = new Set([
  'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp',
]);

function resolveInt(source: string): number | string {
  let text = source.replaceAll('_', '');
  let sign = 1;
  if (text.startsWith('-')) sign = -1;
  if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
  if (text === '0') return 0;
  if (text.startsWith('0b')) return sign * parseInt(text.slice(2), 2);
  if (text.startsWith('0x')) return sign * parseInt(text.slice(2), 16);
  if (text.includes(':')) return sign * base60(text);
  if (text.startsWith('0')) return sign * parseInt(text, 8);
  const value = Number(text);
  return Number.isFinite(value) ? sign * value : source; // an explicit `!!int` on a non-number stays text
}

function resolveFloat(source: string): number | string {
  const text = source.replaceAll('_', '').toLowerCase();
  if (text.endsWith('.inf')) return text.startsWith('-') ? -Infinity : Infinity;
  if (text.endsWith('.nan')) return NaN;
  if (text.includes(':')) return (text.startsWith('-') ? -1 : 1) * base60(text.replace(/^[-+]/, ''));
  const value = Number(text);
  return Number.isNaN(value) ? source : value;
}

function base60(text: string): number {
  return text.split(':').reduce((total, part) => total * 60 + Number(part), 0);
}
