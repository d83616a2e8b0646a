import { Pool, type Dispatcher } from 'undici';
import { GatewayError } from '../core/index.js';

/**
 * Upstream HTTP: one keep-alive undici Pool per origin, shared by every deployment that points
 * there. Timeouts and aborts are mapped to catalogue errors here, once.
 */

const pools = new Map<string, Pool>();

function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (pool === undefined) {
    pool = new Pool(origin, {
      connections: 512,
      pipelining: 1,
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
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Whole-request deadline for non-streaming calls; first-byte and idle deadline for streams. */
  timeoutMs: number;
  stream: boolean;
  /** Names the deployment in error messages. */
  label: string;
}

export async function sendUpstream(request: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (request.signal.aborted) controller.abort();
  else request.signal.addEventListener('abort', onAbort, { once: true });
  // Streams are bounded by first-byte and idle timeouts instead (they may rightly run long).
  const timer = request.stream ? undefined : setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const response = await poolFor(request.url.origin).request({
      path: request.url.pathname + request.url.search,
      method: request.method ?? 'POST',
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
    });
    if (timer !== undefined) {
      // The deadline still covers reading the body.
      response.body.once('close', () => clearTimeout(timer));
      response.body.once('end', () => clearTimeout(timer));
    }
    return response;
  } catch (error) {
    if (timer !== undefined) clearTimeout(timer);
    throw classifyTransportError(error, request, controller.signal.aborted && !request.signal.aborted);
  } finally {
    request.signal.removeEventListener('abort', onAbort);
  }
}

/** Maps an undici/socket failure (during the request or while reading its body) to our errors. */
export function classifyTransportError(error: unknown, request: Pick<UpstreamRequest, 'signal' | 'label' | 'timeoutMs'>, timedOut = false): GatewayError {
  if (error instanceof GatewayError) return error;
  if (request.signal.aborted) return new GatewayError('client_closed_request', 'the client closed the request', { cause: error });
  const code = (error as { code?: string } | null)?.code ?? '';
  const seconds = (request.timeoutMs / 1000).toFixed(request.timeoutMs % 1000 === 0 ? 0 : 1);
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatewayError('upstream_timeout', `${request.label} did not answer within ${seconds}s`, { cause: error });
  }
  const detail = (error as Error | null)?.message ?? String(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GatewayError('upstream_unreachable', `${request.label} is unreachable: connect timeout`, { cause: error });
  }
  return new GatewayError('upstream_unreachable', `${request.label} is unreachable: ${code ? `${code} ` : ''}${detail}`.trim(), { cause: error });
}

export async function closeAllPools(): Promise<void> {
  const closing = [...pools.values()].map((pool) => pool.close().catch(() => undefined));
  pools.clear();
  await Promise.all(closing);
}
