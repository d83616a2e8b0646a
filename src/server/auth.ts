import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/index.js';

/**
 * Master-key check. The key is read where LiteLLM's user_api_key_auth reads it (see
 * docs/litellm-compat.md#keys): `x-litellm-api-key`, then `Authorization` with a scheme (`Bearer`,
 * `Basic` as Langfuse clients send it, AWS SigV4's `Credential=`), then `api-key` (Azure clients),
 * `x-api-key` (Anthropic), `x-goog-api-key`, `ocp-apim-subscription-key`. Digests are compared in
 * constant time, so neither the key's content nor its length leaks through timing. A keep-alive
 * connection whose client has proved the key is remembered: later requests on it presenting the
 * same text skip the hash (a loop over the remembered text, constant in time for any content,
 * stands in).
 */
export class KeyCheck {
  private readonly digest: Buffer | undefined;
  /** Connections on which the master key was presented, and the text presented. */
  private readonly proven = new WeakMap<object, string>();
  /** Connections on which another key (a virtual key) was presented: its text and its SHA-256 hex. */
  private readonly others = new WeakMap<object, PresentedKey>();

  constructor(masterKey: string | undefined) {
    this.digest = masterKey === undefined ? undefined : sha256(masterKey);
  }

  get enabled(): boolean {
    return this.digest !== undefined;
  }

  /**
   * Throws invalid_api_key unless the headers carry the master key (or none is configured).
   * `connection` (the request's socket) lets a proved connection skip the hash next time.
   */
  verify(headers: IncomingHttpHeaders, connection?: object): void {
    if (this.otherThanMaster(headers, connection) !== undefined) throw new GatewayError('invalid_api_key', 'Incorrect API key provided.');
  }

  /**
   * Undefined when the headers carry the master key (or none is configured); else the key they
   * present instead, with its SHA-256 hex, for the virtual-key check (the first candidate that
   * looks like one). Throws invalid_api_key when they carry no key, or a malformed Authorization
   * header. A connection that presented the same other key before skips the hashes too (the
   * virtual key itself is still checked, from its cache, on every request).
   */
  otherThanMaster(headers: IncomingHttpHeaders, connection?: object): PresentedKey | undefined {
    if (this.digest === undefined) return undefined;
    const presented = presentedKeys(headers);
    if (presented === undefined) {
      throw new GatewayError('invalid_api_key', 'No API key provided. Send it as "Authorization: Bearer <key>" (or x-api-key).');
    }
    if (presented === MALFORMED) {
      throw new GatewayError('invalid_api_key', 'Malformed API key: the Authorization header needs a scheme, as in "Authorization: Bearer <key>".');
    }
    const proven = connection === undefined ? undefined : this.proven.get(connection);
    if (proven !== undefined) {
      let same = false;
      for (const key of presented) same = sameText(key, proven) || same;
      if (same) return undefined;
    }
    const other = connection === undefined ? undefined : this.others.get(connection);
    if (other !== undefined && presented.length === 1 && sameText(presented[0] as string, other.key)) return other;
    // Every candidate is hashed (Basic offers two): the time does not say which one matched.
    let match: string | undefined;
    let otherKey: PresentedKey | undefined;
    for (const key of presented) {
      const digest = sha256(key);
      if (timingSafeEqual(digest, this.digest) && match === undefined) match = key;
      else if (otherKey === undefined || (!otherKey.key.startsWith('sk-') && key.startsWith('sk-'))) otherKey = { key, tokenHash: digest.toString('hex') };
    }
    if (match === undefined) {
      if (connection !== undefined && otherKey !== undefined) this.others.set(connection, otherKey);
      return otherKey;
    }
    if (connection !== undefined) this.proven.set(connection, match);
    return undefined;
  }
}

/**
 * Equal texts, in a time that depends on the length of `secret` only: no early exit on the first
 * difference (a connection behind a shared proxy may carry other clients' guesses).
 */
export function sameText(presented: string, secret: string): boolean {
  let diff = presented.length ^ secret.length;
  for (let i = 0; i < secret.length; i++) diff |= (presented.charCodeAt(i) | 0) ^ secret.charCodeAt(i);
  return diff === 0;
}

/** A key presented that is not the master key, and its SHA-256 hex (the virtual key's stored token). */
export interface PresentedKey {
  readonly key: string;
  readonly tokenHash: string;
}

/** An Authorization header LiteLLM would refuse: a value without a scheme it reads. */
const MALFORMED = 'malformed';

/**
 * The keys a request presents (Basic offers two readings), MALFORMED, or undefined when it sends
 * none. An empty header counts as absent, as in LiteLLM; a present header is never passed over
 * for a later one, so `Authorization: <key>` without a scheme is refused even with an x-api-key.
 */
function presentedKeys(headers: IncomingHttpHeaders): string[] | typeof MALFORMED | undefined {
  const litellm = header(headers, 'x-litellm-api-key');
  if (litellm !== undefined) return keysFromAuthorization(litellm) ?? [litellm];
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) return keysFromAuthorization(authorization) ?? MALFORMED;
  for (const name of ['api-key', 'x-api-key', 'x-goog-api-key', 'ocp-apim-subscription-key']) {
    const value = header(headers, name);
    if (value !== undefined) return [value];
  }
  return undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The key in an Authorization value, by its scheme (case-insensitive, as RFC 9110 has it; LiteLLM
 * reads `Bearer` and `bearer`). `Basic` is read both ways LiteLLM reads it: base64 of
 * `user:key` decoded to its password (its Langfuse route), and the text after `Basic` as it is
 * (its other routes). Undefined: no scheme it reads.
 */
function keysFromAuthorization(value: string): string[] | undefined {
  if (value.startsWith('Bearer ')) return [value.slice(7).trim()]; // nearly every request
  const [, scheme = '', rest = ''] = /^(\S+)(?:\s+(.*))?$/s.exec(value) ?? [];
  const credentials = rest.trim();
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return [credentials];
    case 'basic': {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon === -1 ? '' : decoded.slice(colon + 1);
      return password === '' ? [credentials] : [password, credentials];
    }
    case 'aws4-hmac-sha256': {
      // LangChain's Bedrock client: `Credential=Bearer <key>/<date>/…` or `Credential=<key>/…`.
      const credential = /Credential=(?:Bearer\s+)?([^/\s,]+)/.exec(credentials)?.[1];
      return credential === undefined ? undefined : [credential];
    }
    default:
      return undefined;
  }
}

function sha256(text: string): Buffer {
  // The one-shot form: a third cheaper per request than createHash().update().digest().
  return hash('sha256', text, 'buffer');
}
