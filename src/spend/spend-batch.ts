import { SPEND_COLUMNS, type SpendRow } from './spend-row.js';

/**
 * A batch of spend rows as one PostgreSQL array literal per column (`{"a","b",NULL}`), for
 * `INSERT … SELECT FROM unnest($1::text[], $2::double precision[], …)`. PostgreSQL reads typed
 * arrays with its array parser, where `json_to_recordset` built a hash table of every object's
 * keys: measured on this machine, alternating, the server's CPU per row 60 → 25 µs
 * (docs/benchmarks.md#spend-logs). The text is also half the size of the batch as JSON (no key
 * names), which the worker pays for in encoding it.
 */

/** The SQL types of the unnest arrays: jsonb columns travel as text and are cast per row. */
export const UNNEST_TYPES: readonly string[] = SPEND_COLUMNS.map(([, type]) => (type === 'jsonb' ? 'text' : type));

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;
/** PostgreSQL's text and jsonb hold no NUL character: a raw one, or JSON's escape of one (not an escaped backslash before `u0000`). */
const RAW_NUL = new RegExp(String.fromCharCode(0), 'g');
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * One array element: NULL, a number as written, or a quoted string (its `"` and `\` escaped). A
 * NUL character (a client's tag or metadata may carry one) becomes U+FFFD: PostgreSQL refuses NUL
 * in text and jsonb, and one such value would fail its whole batch at every retry.
 */
function element(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.includes('\u0000')) text = text.replace(RAW_NUL, '\uFFFD');
  if (typeof value !== 'string' && text.includes('\\u0000')) text = text.replace(JSON_NUL, '$1\\ufffd');
  return NEEDS_ESCAPE.test(text) ? `"${text.replace(ESCAPED, '\\$&')}"` : `"${text}"`;
}

/** The batch's columns, in SPEND_COLUMNS' order, as array literals. */
export function columnArrays(rows: readonly SpendRow[], columns: ReadonlyArray<readonly [keyof SpendRow, string]> = SPEND_COLUMNS): string[] {
  const out: string[] = [];
  for (const [name] of columns) {
    let text = '{';
    for (let i = 0; i < rows.length; i++) {
      if (i > 0) text += ',';
      text += element(rows[i]![name]);
    }
    out.push(text + '}');
  }
  return out;
}
