import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, GatewayError, isGatewayError, redact } from '../core/index.js';

/** Errors become HTTP responses here and nowhere else. */

export type ErrorShape = 'openai' | 'anthropic';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Public routes skip the key check. */
    public?: boolean;
    /** Error body shape for this route (the Anthropic route answers in Anthropic's shape). */
    errorShape?: ErrorShape;
  }
}

/** Fastify's own failures (body parsing, limits) mapped onto the catalogue. */
export function toGatewayError(error: unknown, maxRequestBytes: number): GatewayError {
  if (isGatewayError(error)) return error;
  const code = (error as { code?: string } | null)?.code;
  const statusCode = (error as { statusCode?: number } | null)?.statusCode;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('body_too_large', `Request body is larger than the limit of ${formatBytes(maxRequestBytes)} (general_settings.max_request_size_mb).`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('invalid_json', 'Request body is empty; expected a JSON object.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type', 'Unsupported content type; send application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('invalid_request', 'Request body length does not match its Content-Length header.');
    default:
      if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
        return new GatewayError('invalid_request', redact((error as Error).message), { status: statusCode });
      }
      return new GatewayError('internal_error', 'Internal error in the gateway; see its logs (request id in x-request-id).', { cause: error });
  }
}

export function errorBody(error: GatewayError, shape: ErrorShape): unknown {
  if (shape === 'anthropic') return { type: 'error', error: { type: anthropicErrorType(error), message: error.message } };
  return error.toOpenAIBody();
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: GatewayError): FastifyReply {
  request.sy.errorCode = error.code;
  const shape = reply.routeOptions.config?.errorShape ?? 'openai';
  return reply.code(error.status).headers(error.headers).send(errorBody(error, shape));
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

function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB` : `${bytes} bytes`;
}
