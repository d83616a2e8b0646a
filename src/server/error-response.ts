import { ERROR_CATALOGUE, GatewayError, isGatewayError, redact, type Logger } from '../core/index.js';
import type { ErrorShape } from './http/route-table.js';
import { sendJson } from './http/respond.js';
import type { RequestContext } from './request-context.js';
import { addDurationHeader } from './response-headers.js';
import { retryAdvice } from './retry-advice.js';

/** Errors become HTTP responses here and nowhere else. */

export type { ErrorShape };

export function errorBody(error: GatewayError, shape: ErrorShape): unknown {
  if (shape === 'anthropic') return { type: 'error', error: { type: anthropicErrorType(error), message: error.message } };
  return error.toOpenAIBody();
}

/**
 * Answers a failed request. Anything that is not a GatewayError is a bug: logged with its stack,
 * answered 500 without details (and, through the router, never charged to a deployment). A
 * response already under way (a stream) can only be ended.
 */
export function sendError(ctx: RequestContext, failure: unknown, logger: Logger): void {
  const error = isGatewayError(failure)
    ? failure
    : new GatewayError('internal_error', 'Internal error in the gateway; see its logs (request id in x-request-id).', { cause: failure });
  if (error.code === 'internal_error') logger.error({ err: errorForLog(failure), request_id: ctx.id, route: ctx.route }, 'unhandled error');
  ctx.errorCode = error.code;
  const res = ctx.response;
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  if (res.destroyed || error.code === 'client_closed_request') return;
  try {
    addDurationHeader(ctx);
    sendJson(ctx, error.status, errorBody(error, ctx.errorShape), retryAdvice(error, ctx.attempts));
  } catch (writeFailure) {
    // A header node refuses (it throws in writeHead): the answer cannot be written; the
    // connection goes rather than the failure escaping as an unhandled rejection.
    logger.error({ err: writeFailure, request_id: ctx.id }, 'could not write the error response');
    res.destroy();
  }
}

/**
 * A bug's error for the log: its type, message and stack, passed through redact() like any text
 * that may quote what went through the gateway (a parser's message quotes its input).
 */
export function errorForLog(failure: unknown): { type: string; message: string; stack?: string } {
  if (!(failure instanceof Error)) return { type: typeof failure, message: redact(String(failure)) };
  const out: { type: string; message: string; stack?: string } = { type: failure.name, message: redact(failure.message) };
  if (failure.stack !== undefined) out.stack = redact(failure.stack);
  return out;
}

/** Anthropic's error types; one an Anthropic upstream reported (e.g. `overloaded_error`) is kept. */
const ANTHROPIC_ERROR_TYPES = new Set([
  'invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error',
  'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error',
]);

function anthropicErrorType(error: GatewayError): string {
  if (error.type !== ERROR_CATALOGUE[error.code].type && ANTHROPIC_ERROR_TYPES.has(error.type)) return error.type;
  switch (error.status) {
    case 400: case 413: case 415: return error.status === 413 ? 'request_too_large' : 'invalid_request_error';
    case 401: return 'authentication_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 429: return 'rate_limit_error';
    case 504: return 'timeout_error';
    case 529: return 'overloaded_error';
    default: return error.status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}
