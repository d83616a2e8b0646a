import { redact, upstreamFailure, type GatewayError } from '../../core/index.js';
import type { UpstreamResponse } from '../http-pool.js';

/**
 * Google's error answers (Gemini API and Vertex AI alike): `{"error": {"code": 400, "message",
 * "status": "INVALID_ARGUMENT", "details": [...]}}` (a one-element list of that on some stream
 * routes). The canonical `status` becomes the error's `code`, so a caller sees
 * `RESOURCE_EXHAUSTED` or `INVALID_ARGUMENT` as Google wrote it. Classification follows the HTTP
 * status (router/failure-kind.ts): 429 RESOURCE_EXHAUSTED is throttling (retried, Retry-After
 * from `RetryInfo` honoured), 400 INVALID_ARGUMENT the client's own fault (not counted against
 * the deployment), 401/403 a broken deployment, 5xx transient. One exception: the Gemini API
 * answers a bad API key with 400 `API_KEY_INVALID`, which is the deployment's fault, so it is
 * reported as the 401 it means. Claude on Vertex answers its own errors in Anthropic's shape
 * (`{"type": "error", "error": {"type", "message"}}`), read here too.
 */

interface GoogleErrorBody {
  code?: number;
  /** Anthropic's error `type`, when Claude on Vertex answers in its own shape. */
  type?: string;
  message?: string;
  status?: string;
  details?: Array<{ '@type'?: string; reason?: string; retryDelay?: string }>;
}

export async function googleErrorFromResponse(response: UpstreamResponse, label: string): Promise<GatewayError> {
  const text = await response.text().catch(() => '');
  const status = response.statusCode;
  const error = parseGoogleError(text);
  const message = redact(error?.message ?? (text.trim().slice(0, 2000) || `HTTP ${status}`));
  const common = { upstreamStatus: status, upstreamCode: error?.status ?? error?.type ?? null };
  if (status === 429) {
    const headers: Record<string, string> = {};
    const header = response.headers['retry-after'];
    const delay = error?.details?.find((d) => typeof d.retryDelay === 'string')?.retryDelay;
    if (typeof header === 'string') headers['retry-after'] = header;
    else if (delay !== undefined && /^\d+(\.\d+)?s$/.test(delay)) headers['retry-after'] = String(Math.ceil(Number.parseFloat(delay)));
    return upstreamFailure('rate_limited', `${label} is rate limited: ${message}`, { ...common, headers });
  }
  if (status === 400 && error?.details?.some((d) => d.reason === 'API_KEY_INVALID')) {
    return upstreamFailure('upstream_client_error', `${label} refused its API key: ${message}`, { ...common, status: 401, upstreamStatus: 401, upstreamType: 'authentication_error' });
  }
  if (status >= 400 && status < 500) return upstreamFailure('upstream_client_error', message, { ...common, status });
  return upstreamFailure('upstream_error', `${label} answered HTTP ${status}: ${message}`, common);
}

function parseGoogleError(text: string): GoogleErrorBody | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(body)) body = body[0];
  const error = (body as { error?: unknown } | null)?.error;
  return error !== null && typeof error === 'object' ? (error as GoogleErrorBody) : undefined;
}
