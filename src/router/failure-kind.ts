import { isGatewayError } from '../core/index.js';

/**
 * What a failed attempt means for routing. One place decides, from the error an attempt threw,
 * whether to retry, whether the deployment is to blame (cooldowns) and which fallback list
 * applies. Blame follows the error's origin (core/errors.ts), never a guess from its text: only
 * what an upstream did can count against its deployment.
 *
 * From the upstream (origin `upstream`):
 * - `rate_limited`: upstream 429.
 * - `transient`: 5xx, timeouts, refused or broken connections, an answer that is not what the API
 *   promises (malformed JSON, a truncated stream): worth another attempt.
 * - `deployment_broken`: the deployment cannot serve anyone (upstream 401/403/404/408; also a
 *   provider we do not implement, which no request can change): no retry, but it counts against
 *   the deployment and other groups may help.
 * - `context_window`, `content_policy`: the request does not fit this model; only a fallback helps.
 * - `bad_request`: any other upstream 4xx: the request itself is wrong; nothing else would do better.
 * From the gateway (origin `gateway`, or not a GatewayError at all):
 * - `bad_request`: the gateway refused the request (a 4xx: it cannot be expressed for this provider).
 * - `internal`: the gateway itself failed (a bug, or a drain giving up): no retry, no fallback, and
 *   no deployment is blamed; the caller gets the error as it is (a bug: a 500 `internal_error`).
 * - `unavailable`: no deployment of the group could be tried (all cooling down or out of quota).
 * - `client_closed`: the caller went away: stop at once.
 */
export type FailureKind =
  | 'rate_limited' | 'transient' | 'deployment_broken' | 'context_window' | 'content_policy' | 'bad_request'
  | 'internal' | 'unavailable' | 'client_closed';

const CONTEXT_WINDOW_CODES = new Set(['context_length_exceeded', 'string_above_max_length', 'context_window_exceeded']);
const CONTEXT_WINDOW_TEXT = /context length|context window|context_length_exceeded|maximum (input )?(length|tokens?)|too many (input )?tokens|prompt is too long|input is too long|reduce the length of the (messages|prompt)|exceeds the (model'?s? )?(max(imum)? )?(context|token)/i;
const CONTENT_POLICY_CODES = new Set(['content_policy_violation', 'content_filter', 'content_filtered']);
const CONTENT_POLICY_TEXT = /content (management )?policy|content_filter|flagged by (our|the) (safety|content)|safety system/i;

export function classifyFailure(error: unknown): FailureKind {
  if (!isGatewayError(error)) return 'internal';
  switch (error.code) {
    case 'client_closed_request': return 'client_closed';
    case 'no_deployment_available': return 'unavailable';
    case 'not_implemented': return 'deployment_broken';
    default: break;
  }
  if (error.origin !== 'upstream') {
    if (error.code === 'rate_limited') return 'unavailable'; // the group's own rpm/tpm limits
    return error.status < 500 ? 'bad_request' : 'internal';
  }
  if (error.status === 429 || error.code === 'rate_limited') return 'rate_limited';
  if (error.status >= 500) return 'transient';
  const status = error.upstreamStatus ?? error.status;
  if (status === 401 || status === 403 || status === 404 || status === 408) return 'deployment_broken';
  if (isContextWindowError(error.upstreamCode, error.message)) return 'context_window';
  if (isContentPolicyError(error.upstreamCode, error.message)) return 'content_policy';
  return 'bad_request';
}

/** OpenAI's `context_length_exceeded`, and the phrasings other providers use for the same thing. */
export function isContextWindowError(code: string | null | undefined, message: string): boolean {
  if (code != null && CONTEXT_WINDOW_CODES.has(code)) return true;
  return CONTEXT_WINDOW_TEXT.test(message);
}

/** OpenAI's `content_policy_violation`, Azure's `content_filter`. */
export function isContentPolicyError(code: string | null | undefined, message: string): boolean {
  if (code != null && CONTENT_POLICY_CODES.has(code)) return true;
  return CONTENT_POLICY_TEXT.test(message);
}

/** Failures that deserve another attempt in the same group. */
export function isRetryable(kind: FailureKind): boolean {
  return kind === 'rate_limited' || kind === 'transient';
}

/** Failures that are the deployment's fault and count towards its cooldown. */
export function countsAgainstDeployment(kind: FailureKind): boolean {
  return kind === 'rate_limited' || kind === 'transient' || kind === 'deployment_broken';
}
