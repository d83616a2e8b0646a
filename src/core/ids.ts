import { createHash, randomBytes } from 'node:crypto';

const PROCESS_PREFIX = randomBytes(6).toString('base64url');
let counter = 0;

/**
 * A unique id for requests and responses without a syscall per call: a random per-process
 * prefix and a counter. Not secret and not unguessable; use randomId where that matters.
 */
export function sequentialId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PROCESS_PREFIX}${counter.toString(36)}`;
}

/** A random id (lock holders and anything that must not be guessable). */
export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}

/** Stable hex digest of a value: object keys are sorted so that key order does not matter. */
export function stableHash(value: unknown, length = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
