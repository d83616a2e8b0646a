import type { Dispatcher, Pool as UndiciPool } from 'undici';
import PoolClass from 'undici/lib/dispatcher/pool.js';
import { GatewayError, JsonPieces, upstreamFailure, type CancelSignal } from '../core/index.js';
import { UpstreamExchange, type UpstreamResponse } from './upstream-exchange.js';

export type { UpstreamResponse };

type DispatchBody = Dispatcher.DispatchOptions['body'];

/**
 * Upstream HTTP: one keep-alive undici Pool per origin, shared by every deployment that points
 * there. Timeouts and aborts are mapped to catalogue errors here, once.
 */

// The pool class alone, not undici's index (fetch, WebSocket, caches, mocks, the request API…):
// a worker only dispatches, and the index costs about 8 MB of resident memory per worker. A static
// import, so that the worker bundle carries it (undici-pool.d.ts gives it its type).
type Pool = UndiciPool;
const Pool = PoolClass;

const pools = new Map<string, Pool>();

function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (pool === undefined) {
    pool = new Pool(origin, {
      connections: 512,
      pipelining: 1,
      allowH2: false, // the worker bundle leaves undici's HTTP/2 client out (scripts/bundle-worker.mjs)
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: 10_000 },
    });
    pools.set(origin, pool);
  }
  return pool;
}

export interface UpstreamRequest {
  url: URL;
  method?: 'POST' | 'GET' | 'DELETE';
  headers: Record<string, string>;
  /** JSON text; pieces for a large body (sent with their content-length, never copied whole). */
  body?: string | JsonPieces;
  signal: CancelSignal;
  /** Deadline for the response headers and for any stall while reading the body. */
  timeoutMs: number;
  /** The largest answer held whole (general_settings.max_response_size_mb): past it, upstream_response_too_large. */
  maxAnswerBytes: number;
  stream: boolean;
  /** Names the deployment in error messages. */
  label: string;
}

export function sendUpstream(request: UpstreamRequest): Promise<UpstreamResponse> {
  // undici's own timers bound the call: headersTimeout covers a non-streaming answer being
  // produced (upstreams send headers when it is ready), bodyTimeout any stall while reading.
  const exchange = new UpstreamExchange(request.signal, { maxBytes: request.maxAnswerBytes, label: request.label });
  poolFor(request.url.origin).dispatch({
    origin: request.url.origin,
    path: request.url.pathname + request.url.search,
    method: request.method ?? 'POST',
    headers: request.body instanceof JsonPieces ? { ...request.headers, 'content-length': String(request.body.byteLength) } : request.headers,
    // dispatch() writes an Iterable body piece by piece (undici's Dispatcher docs); its types list only streams.
    body: request.body as DispatchBody,
    headersTimeout: request.timeoutMs,
    bodyTimeout: request.timeoutMs,
  }, exchange);
  return exchange.response.catch((error: unknown) => Promise.reject(classifyTransportError(error, request)));
}

/**
 * undici's codes for a request it refused to send (a header value it will not write, a body of
 * the wrong length): the request the gateway built was wrong, and the upstream never saw it.
 */
const REFUSED_TO_SEND = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_NOT_SUPPORTED']);

/**
 * Maps an undici/socket failure (during the request or while reading its body) to our errors: a
 * transport failure is the upstream's (origin `upstream`) unless the call was aborted on our side
 * or undici refused the request the gateway built (a failure of the gateway's own).
 */
export function classifyTransportError(error: unknown, request: Pick<UpstreamRequest, 'signal' | 'label' | 'timeoutMs'>, timedOut = false): GatewayError {
  if (error instanceof GatewayError) return error;
  if (request.signal.aborted) {
    // A GatewayError reason is the gateway giving up (e.g. a drain past its graceful timeout).
    const reason: unknown = request.signal.reason;
    if (reason instanceof GatewayError) return reason;
    return new GatewayError('client_closed_request', 'the client closed the request', { cause: error });
  }
  const code = (error as { code?: string } | null)?.code ?? '';
  const seconds = (request.timeoutMs / 1000).toFixed(request.timeoutMs % 1000 === 0 ? 0 : 1);
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return upstreamFailure('upstream_timeout', `${request.label} did not answer within ${seconds}s`, { cause: error });
  }
  const detail = (error as Error | null)?.message ?? String(error);
  if (REFUSED_TO_SEND.has(code)) return new GatewayError('internal_error', `${request.label}: the request could not be sent: ${code} ${detail}`, { cause: error });
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return upstreamFailure('upstream_unreachable', `${request.label} is unreachable: connect timeout`, { cause: error });
  }
  return upstreamFailure('upstream_unreachable', `${request.label} is unreachable: ${code ? `${code} ` : ''}${detail}`.trim(), { cause: error });
}

export async function closeAllPools(): Promise<void> {
  const closing = [...pools.values()].map((pool) => pool.close().catch(() => undefined));
  pools.clear();
  await Promise.all(closing);
}
