/**
 * The error catalogue: every failure the gateway reports has a stable code here, and the code
 * decides the HTTP status and the OpenAI error `type`. Layers throw `GatewayError`; only
 * src/server turns one into an HTTP response.
 *
 * Every error also says whose doing it reports (`origin`): only an error with origin `upstream`
 * may count against a deployment. The provider layer sets it where it reads what an upstream
 * did (its status, its body, its stream, or a transport failure reaching it); everything else,
 * a refused request or a failure of the gateway's own, is `gateway`, the default, so that a new
 * error can never blame a deployment by accident.
 */

export const ERROR_CATALOGUE = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  /** Not HTTP node can parse (answered by the server's clientError handler, before any route). */
  bad_http_request: { status: 400, type: 'invalid_request_error' },
  /** `previous_response_id` names no stored response the gateway can continue (OpenAI's code). */
  previous_response_not_found: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  /**
   * Virtual keys (a database is configured), answered as LiteLLM's ProxyException answers them:
   * its `type`, and `code` "401" in the body (LITELLM_BODY_CODES). A key no one has, a key
   * past `expires`, a blocked key or a key of a blocked team, a management route asked by a key
   * without admin rights.
   */
  virtual_key_invalid: { status: 401, type: 'auth_error' },
  key_expired: { status: 401, type: 'expired_key' },
  key_blocked: { status: 401, type: 'auth_error' },
  admin_only: { status: 401, type: 'auth_error' },
  /** The key's (or its team's) `models` do not include the model asked for (LiteLLM's types). */
  key_model_access_denied: { status: 401, type: 'key_model_access_denied' },
  team_model_access_denied: { status: 401, type: 'team_model_access_denied' },
  /** A key's, team's or user's `max_budget` is spent in its window (LiteLLM's BudgetExceededError). */
  budget_exceeded: { status: 400, type: 'budget_exceeded' },
  not_found: { status: 404, type: 'invalid_request_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  /** The request's headers or body did not arrive within --client_header_timeout / --client_request_timeout. */
  request_timeout: { status: 408, type: 'invalid_request_error' },
  body_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  /** Request headers past node's limit (16 KB by default, --max-http-header-size). */
  headers_too_large: { status: 431, type: 'invalid_request_error' },
  /** Upstream answered with a 4xx: its status and message are kept. */
  upstream_client_error: { status: 400, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  /**
   * A virtual key's (its team's, its user's) `rpm_limit`, `tpm_limit` or `max_parallel_requests`
   * reached, or its budget held by calls in flight (src/limits); sent with `retry-after`.
   */
  key_rate_limited: { status: 429, type: 'rate_limit_error' },
  /** The client went away; never sent, only logged and counted (nginx's 499). */
  client_closed_request: { status: 499, type: 'invalid_request_error' },
  internal_error: { status: 500, type: 'server_error' },
  not_implemented: { status: 501, type: 'invalid_request_error' },
  upstream_error: { status: 502, type: 'api_error' },
  upstream_unreachable: { status: 502, type: 'api_error' },
  upstream_invalid_response: { status: 502, type: 'api_error' },
  /** The upstream's answer was bigger than `general_settings.max_response_size_mb`. */
  upstream_response_too_large: { status: 502, type: 'api_error' },
  no_deployment_available: { status: 503, type: 'api_error' },
  shutting_down: { status: 503, type: 'api_error' },
  /** The worker holds as many request-body bytes as it may (`--max_body_mb_in_flight`); sent with retry-after. */
  server_busy: { status: 503, type: 'api_error' },
  /** GET /metrics on a worker: the primary, which holds the metrics, did not answer in time. */
  metrics_unavailable: { status: 503, type: 'api_error' },
  /** GET /spend/logs: no database is configured, or PostgreSQL did not answer. */
  database_unavailable: { status: 503, type: 'api_error' },
  upstream_timeout: { status: 504, type: 'timeout_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The body `code` LiteLLM sends for these (its ProxyException's code, the status as text), instead of ours. */
const LITELLM_BODY_CODES: Partial<Record<ErrorCode, string>> = {
  virtual_key_invalid: '401', key_expired: '401', key_blocked: '401', admin_only: '401',
  key_model_access_denied: '401', team_model_access_denied: '401',
  budget_exceeded: '400', key_rate_limited: '429',
};

/** `upstream`: the upstream's own answer or a transport failure to it; `gateway`: anything else. */
export type ErrorOrigin = 'upstream' | 'gateway';

export interface GatewayErrorOptions {
  /** The request field the error is about, as OpenAI's `param`. */
  param?: string | null;
  /** Overrides the catalogue status (an upstream 4xx keeps its own status). */
  status?: number;
  /** Headers to send with the error response (e.g. `retry-after`). */
  headers?: Record<string, string>;
  /** Status the upstream answered with, when the error came from one. */
  upstreamStatus?: number;
  /** Upstream error `type`/`code` to pass on when they are more precise than ours. */
  upstreamType?: string;
  upstreamCode?: string | null;
  /** Default `gateway`; see the top of this file. */
  origin?: ErrorOrigin;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly upstreamStatus: number | undefined;
  readonly upstreamCode: string | null | undefined;
  readonly origin: ErrorOrigin;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERROR_CATALOGUE[code].status;
    this.type = options.upstreamType ?? ERROR_CATALOGUE[code].type;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.upstreamStatus = options.upstreamStatus;
    this.upstreamCode = options.upstreamCode ?? LITELLM_BODY_CODES[code];
    this.origin = options.origin ?? 'gateway';
  }

  /** The OpenAI error body: `{"error": {"message", "type", "param", "code"}}`. */
  toOpenAIBody(): OpenAIErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        param: this.param,
        code: this.upstreamCode ?? this.code,
      },
    };
  }
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** An error about what an upstream answered or how reaching it failed (origin `upstream`). */
export function upstreamFailure(code: ErrorCode, message: string, options: Omit<GatewayErrorOptions, 'origin'> = {}): GatewayError {
  return new GatewayError(code, message, { ...options, origin: 'upstream' });
}
