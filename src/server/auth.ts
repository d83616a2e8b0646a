import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/index.js';

/**
 * Master-key check. The key may come as `Authorization: Bearer`, `x-api-key` (Anthropic clients),
 * `api-key` (Azure clients) or `x-litellm-api-key`. Digests are compared in constant time, so
 * neither the key's content nor its length leaks through timing.
 */
export class KeyCheck {
  private readonly digest: Buffer | undefined;

  constructor(masterKey: string | undefined) {
    this.digest = masterKey === undefined ? undefined : sha256(masterKey);
  }

  get enabled(): boolean {
    return this.digest !== undefined;
  }

  /** Throws invalid_api_key unless the headers carry the master key (or none is configured). */
  verify(headers: IncomingHttpHeaders): void {
    if (this.digest === undefined) return;
    const presented = presentedKey(headers);
    if (presented === undefined) {
      throw new GatewayError('invalid_api_key', 'No API key provided. Send it as "Authorization: Bearer <key>" (or x-api-key).');
    }
    if (!timingSafeEqual(sha256(presented), this.digest)) {
      throw new GatewayError('invalid_api_key', 'Incorrect API key provided.');
    }
  }
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
