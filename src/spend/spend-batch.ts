import { SPEND_COLUMNS, type SpendEncoding, type SpendRow } from './spend-row.js';

/**
 * A batch of spend rows as PostgreSQL array literals, for one
 * `INSERT … SELECT FROM unnest($3::text[], $4::integer[], …)`: one array per column, plus two
 * dictionaries. Most of a row repeats from row to row (the model, its deployment, the key, the
 * status, the metadata's shape), so a `shared` text column travels as an index into the batch's
 * text dictionary (`$1::text[]`) and a `json` column as an index into its jsonb dictionary
 * (`$2::jsonb[]`, so PostgreSQL parses each distinct document once, not once per row); times
 * travel as milliseconds since the epoch. Against one quoted text per value, measured in process
 * (docs/benchmarks.md#spend-logs): the worker's CPU per row about halved (14.1 → 7–8 µs), a row is
 * 131 bytes on the wire instead of ~330, and PostgreSQL's CPU per row fell by a quarter.
 */

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;
/** PostgreSQL's text and jsonb hold no NUL character: a raw one, or JSON's escape of one (not an escaped backslash before `u0000`). */
const RAW_NUL = new RegExp(String.fromCharCode(0), 'g');
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * One quoted array element (its `"` and `\` escaped). A NUL character (a client's tag or metadata
 * may carry one) becomes U+FFFD: PostgreSQL refuses NUL in text and jsonb, and one such value
 * would fail its whole batch at every retry.
 */
function quoted(text: string): string {
  if (text.includes('\u0000')) text = text.replace(RAW_NUL, '\uFFFD');
  return NEEDS_ESCAPE.test(text) ? `"${text.replace(ESCAPED, '\\$&')}"` : `"${text}"`;
}

/** A JSON document's text, with JSON's escape of NUL made U+FFFD (jsonb refuses it). */
function jsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.includes('\\u0000') ? text.replace(JSON_NUL, '$1\\ufffd') : text;
}

/** Distinct values, numbered from 1 as PostgreSQL's arrays are. */
class Dictionary {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];

  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  literal(): string {
    return `{${this.values.map(quoted).join(',')}}`;
  }
}

/** One column's array literal. */
function columnLiteral(rows: readonly SpendRow[], name: keyof SpendRow, encoding: SpendEncoding, texts: Dictionary, jsons: Dictionary): string {
  let literal = '{';
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) literal += ',';
    const value = rows[i]![name];
    if (value === null || value === undefined) {
      literal += 'NULL';
    } else if (encoding === 'shared') {
      literal += texts.id(String(value));
    } else if (encoding === 'json') {
      literal += jsons.id(jsonText(value));
    } else if (encoding === 'text') {
      literal += quoted(String(value));
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      literal += encoding === 'double' ? value : Math.round(value);
    } else {
      literal += 'NULL';
    }
  }
  return literal + '}';
}

/** The statement's parameters: the two dictionaries, then the columns in `columns`' order. */
export function batchParameters(rows: readonly SpendRow[], columns: ReadonlyArray<readonly [keyof SpendRow, SpendEncoding]> = SPEND_COLUMNS): string[] {
  const texts = new Dictionary();
  const jsons = new Dictionary();
  const out = ['', ''];
  for (const [name, encoding] of columns) out.push(columnLiteral(rows, name, encoding, texts, jsons));
  out[0] = texts.literal();
  out[1] = jsons.literal();
  return out;
}

const PARAMETER_TYPES: Readonly<Record<SpendEncoding, string>> = {
  text: 'text', shared: 'integer', json: 'integer', integer: 'integer', double: 'double precision', time: 'double precision',
};

/**
 * `SELECT <the columns' values> FROM unnest(…) AS r(…), <the dictionaries> AS d`, for the
 * parameters `batchParameters` makes: each column read back as its table type.
 */
export function batchSelect(columns: ReadonlyArray<readonly [keyof SpendRow, SpendEncoding]> = SPEND_COLUMNS): string {
  const value = ([name, encoding]: readonly [keyof SpendRow, SpendEncoding]): string => {
    const column = `r."${name}"`;
    if (encoding === 'shared') return `d.t[${column}]`;
    if (encoding === 'json') return `d.j[${column}]`;
    // Stored as UTC wall time in TIMESTAMP(3) without a zone, as Prisma writes LiteLLM's rows.
    if (encoding === 'time') return `(to_timestamp(${column} / 1000) AT TIME ZONE 'UTC')`;
    return column;
  };
  const arrays = columns.map(([, encoding], i) => `$${i + 3}::${PARAMETER_TYPES[encoding]}[]`).join(', ');
  const names = columns.map(([name]) => `"${name}"`).join(', ');
  return `SELECT ${columns.map((column) => `${value(column)} AS "${column[0]}"`).join(', ')} FROM unnest(${arrays}) AS r(${names}), (SELECT $1::text[] AS t, $2::jsonb[] AS j) AS d`;
}
