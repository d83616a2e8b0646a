/**
 * JSON text for a large value without copying its large strings. `JSON.stringify` of a request
 * carrying a 30 MB base64 image makes a 30 MB string, and sending it makes a 30 MB buffer, both
 * alive while the upstream reads; here the image string stays the one the parsed request holds
 * and goes out in windows of 64 KB, each encoded (and escaped if need be) as it is written.
 */

/** A string at least this long is written in windows from the value itself, not copied whole. */
const LARGE_STRING = 64 * 1024;
/** Characters per window, and the size pieces are gathered to before one is handed out. */
const WINDOW = 64 * 1024;
/** Characters per window of a string still to escape (an escape is up to six characters). */
const ESCAPE_WINDOW = WINDOW / 4;

/** A run of the text: JSON already (`escape` false), or a string's contents still to be escaped. */
interface Run {
  text: string;
  escape: boolean;
}

/**
 * The JSON text of a value as pieces of at most ~64 KB, iterable any number of times (each
 * attempt at an upstream sends it anew), and its exact length in UTF-8 bytes (the content-length).
 * Same text as `JSON.stringify` for JSON data (`toJSON` is honoured; values that stringify to
 * nothing are left out of objects and are `null` in arrays, as there).
 */
export class JsonPieces implements Iterable<Buffer> {
  readonly byteLength: number;
  private readonly runs: Run[];

  constructor(value: unknown) {
    const runs: Run[] = [];
    let pending = '';
    const text = (json: string) => {
      pending += json;
    };
    const large = (contents: string) => {
      runs.push({ text: `${pending}"`, escape: false });
      runs.push({ text: contents, escape: needsEscape(contents) });
      pending = '"';
    };
    write(value, text, large);
    runs.push({ text: pending, escape: false });
    this.runs = runs.filter((run) => run.text.length > 0);
    let bytes = 0;
    for (const run of this.runs) bytes += run.escape ? escapedLength(run.text) : Buffer.byteLength(run.text);
    this.byteLength = bytes;
  }

  *[Symbol.iterator](): Iterator<Buffer> {
    let gathered = '';
    for (const run of this.runs) {
      for (const window of windows(run.text, run.escape ? ESCAPE_WINDOW : WINDOW)) {
        gathered += run.escape ? escapeWindow(window) : window;
        if (gathered.length >= WINDOW) {
          yield Buffer.from(gathered);
          gathered = '';
        }
      }
    }
    if (gathered.length > 0) yield Buffer.from(gathered);
  }
}

/** The text of `value` as JSON.stringify would write it, large strings handed to `large`. */
function write(value: unknown, text: (json: string) => void, large: (contents: string) => void): void {
  if (typeof value === 'string') {
    if (value.length >= LARGE_STRING) large(value);
    else text(JSON.stringify(value));
    return;
  }
  if (value === null || typeof value !== 'object') {
    text(JSON.stringify(value) ?? 'null');
    return;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    write((value as { toJSON(): unknown }).toJSON(), text, large);
    return;
  }
  if (Array.isArray(value)) {
    text('[');
    value.forEach((item, index) => {
      if (index > 0) text(',');
      if (isOmitted(item)) text('null');
      else write(item, text, large);
    });
    text(']');
    return;
  }
  text('{');
  let first = true;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (isOmitted(item)) continue;
    text(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
    first = false;
    write(item, text, large);
  }
  text('}');
}

/** Values JSON.stringify leaves out of objects (and writes as null in arrays). */
function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Quotes, backslashes, control characters and surrogates (lone ones are escaped) need JSON.stringify. */
function needsEscape(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
  return /["\\\u0000-\u001f\ud800-\udfff]/.test(text);
}

/** Windows of the text that never split a surrogate pair (each window is encoded on its own). */
function* windows(text: string, size: number): Generator<string> {
  for (let at = 0; at < text.length;) {
    let end = Math.min(at + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(at, end);
    at = end;
  }
}

function escapeWindow(window: string): string {
  return JSON.stringify(window).slice(1, -1);
}

function escapedLength(text: string): number {
  let bytes = 0;
  for (const window of windows(text, ESCAPE_WINDOW)) bytes += Buffer.byteLength(escapeWindow(window));
  return bytes;
}

/**
 * A request body for an upstream: the plain JSON string when the client's body was small (the
 * common case, where one string is cheapest), pieces when it was large.
 */
export function jsonForUpstream(value: unknown, clientBodyBytes: number | undefined): string | JsonPieces {
  return clientBodyBytes !== undefined && clientBodyBytes >= LARGE_BODY ? new JsonPieces(value) : JSON.stringify(value);
}

/** Client bodies from this size on are sent upstream in pieces. */
const LARGE_BODY = 1024 * 1024;
