import type { GatewayError } from '../core/index.js';
import { isRefusedWait } from '../router/index.js';

/**
 * What an error response tells a client about trying again. The official OpenAI and Anthropic
 * SDKs retry 408, 409, 429 and 5xx answers twice by default, waiting out `retry-after` /
 * `retry-after-ms`, unless the answer says `x-should-retry: false`. Behind a gateway that has
 * retried already, that multiplied: 3 SDK attempts × 3 gateway attempts = 9 upstream calls for one
 * failing call, and a 429's wait served twice.
 *
 * - The gateway called an upstream (it retried, or decided a retry was useless): `x-should-retry:
 *   false`, and the upstream's `retry-after` / `retry-after-ms` are not passed on, except when the
 *   router stopped because the upstream asked for a longer wait than `retry_after` allows: then
 *   they say when trying again can help (for clients that schedule their own retries).
 * - The gateway called no one because the group is cooling down or over its rpm/tpm, or the
 *   virtual key is over its limits (src/limits):
 *   `x-should-retry: true` with the gateway's own `retry-after`; a retry later can be served. So
 *   is one cut by a worker shutting down, whatever it had called.
 * - A failure of the gateway's own (a 500): `x-should-retry: false`, it would fail the same way.
 * - Anything else (a 4xx about the request): nothing; the SDKs do not retry those.
 *
 * So one SDK call makes at most (num_retries + 1) × (1 + fallback groups) upstream calls.
 */
export function retryAdvice(error: GatewayError, attempts: number | undefined): Record<string, string> {
  // A drain that gave up on the request: another worker (or host) will serve the retry.
  if (error.code === 'shutting_down') return { ...error.headers, 'x-should-retry': 'true' };
  if (attempts !== undefined && attempts > 0) {
    const headers = { ...error.headers };
    if (!isRefusedWait(error)) {
      delete headers['retry-after'];
      delete headers['retry-after-ms'];
    }
    headers['x-should-retry'] = 'false';
    return headers;
  }
  switch (error.code) {
    case 'internal_error':
      return { ...error.headers, 'x-should-retry': 'false' };
    case 'no_deployment_available':
    case 'rate_limited':
    case 'key_rate_limited':
      return { ...error.headers, 'x-should-retry': 'true' };
    default:
      return error.headers;
  }
}
