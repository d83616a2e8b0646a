import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/index.js';

/**
 * Master-key check. The key may come as `Authorization: Bearer`, `x-api-key` (Anthropic clients),
 * `api-key` (Azure clients) or `x-litellm-api-key`. Digests are compared in constant time, so
 * neither the key's content nor its length leaks through timing. A keep-alive connection whose
 * client has proved the key is remembered: later requests on it presenting the same text skip
 * the hash (a loop over the remembered text, constant in time for any content, stands in).
 */
export class KeyCheck {
  private readonly digest: Buffer | undefined;
  /** Connections on which the master key was presented, and the text presented. */
  private readonly proven = new WeakMap<object, string>();

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
    if (this.digest === undefined) return;
    const presented = presentedKey(headers);
    if (presented === undefined) {
      throw new GatewayError('invalid_api_key', 'No API key provided. Send it as "Authorization: Bearer <key>" (or x-api-key).');
    }
    const proven = connection === undefined ? undefined : this.proven.get(connection);
    if (proven !== undefined && sameText(presented, proven)) return;
    if (!timingSafeEqual(sha256(presented), this.digest)) {
      throw new GatewayError('invalid_api_key', 'Incorrect API key provided.');
    }
    if (connection !== undefined) this.proven.set(connection, presented);
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

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization !== '') {
    return authorization.replace(/^Bearer\s+/i, '').trim();
  }
  for (const name of ['x-api-key', 'api-key', 'x-litellm-api-key']) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') return value.trim();
  }
  return undefined;
}

function sha256(text: string): Buffer {
  // The one-shot form: a third cheaper per request than createHash().update().digest().
  return hash('sha256', text, 'buffer');
}
