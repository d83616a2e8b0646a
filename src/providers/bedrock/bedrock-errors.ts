import { redact, upstreamFailure, type GatewayError } from '../../core/index.js';
import type { UpstreamResponse } from '../http-pool.js';
import { errorFromResponse } from '../upstream-response.js';

/**
 * Bedrock's errors. An error response names its kind in `x-amzn-errortype`
 * (`ValidationException:http://internal.amazon.com/…`) with `{"message": …}` as the body; the
 * status already says whose fault it is (ThrottlingException 429, ValidationException 400 — the
 * request's, never the deployment's —, AccessDenied 403, ResourceNotFound 404, ServiceUnavailable
 * 503, InternalServer 500), so the common mapping applies, with AWS's name of the error kept as
 * the code; the few whose status misleads are mapped by name. Inside an event stream a failure is an `exception` message whose
 * `:exception-type` names the same kinds.
 */
export async function bedrockErrorFromResponse(response: UpstreamResponse, label: string): Promise<GatewayError> {
  const kind = errorType(response.headers['x-amzn-errortype']);
  const error = await errorFromResponse(response, { label });
  if (kind === undefined) return error;
  const common = { upstreamStatus: error.upstreamStatus, upstreamCode: kind };
  // Three whose status says less than their name: a quota (400) and a model still loading are
  // throttling; a model that timed out or failed is the upstream's trouble, worth another attempt.
  if (kind === 'ServiceQuotaExceededException' || kind === 'ModelNotReadyException') {
    return upstreamFailure('rate_limited', `${label} is rate limited: ${error.message}`, common);
  }
  if (kind === 'ModelTimeoutException') return upstreamFailure('upstream_timeout', `${label} timed out: ${error.message}`, common);
  if (kind === 'ModelErrorException') return upstreamFailure('upstream_error', `${label} answered HTTP ${error.upstreamStatus}: ${error.message}`, common);
  return upstreamFailure(error.code, error.message, {
    status: error.status, upstreamStatus: error.upstreamStatus, upstreamCode: kind, headers: error.headers, param: error.param,
    upstreamType: error.code === 'upstream_client_error' ? error.type : undefined,
  });
}

function errorType(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  return value.split(':')[0];
}

const STREAM_STATUS: Record<string, number> = {
  throttlingException: 429, validationException: 400, modelStreamErrorException: 424, modelTimeoutException: 408,
  internalServerException: 500, serviceUnavailableException: 503,
};

/** An `exception` (or `error`) message of an event stream, as the failure it reports. */
export function bedrockStreamError(headers: Record<string, string>, body: Uint8Array, label: string): GatewayError {
  const kind = headers[':exception-type'] ?? headers[':error-code'] ?? 'unknownException';
  let message = headers[':error-message'];
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { message?: unknown; Message?: unknown };
    const text = parsed.message ?? parsed.Message;
    if (typeof text === 'string') message = text;
  } catch {
    // the header's message, or the kind alone
  }
  const detail = redact(message ?? kind);
  const code = kind.charAt(0).toUpperCase() + kind.slice(1);
  const status = STREAM_STATUS[kind];
  if (status === 429) return upstreamFailure('rate_limited', `${label} is rate limited: ${detail}`, { upstreamStatus: 429, upstreamCode: code });
  if (status === 400) return upstreamFailure('upstream_client_error', detail, { status: 400, upstreamStatus: 400, upstreamCode: code });
  return upstreamFailure('upstream_error', `${label} failed mid-stream: ${code}: ${detail}`, { upstreamStatus: status, upstreamCode: code });
}
