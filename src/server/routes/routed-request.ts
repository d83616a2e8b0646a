import { GatewayError } from '../../core/index.js';
import type { Validated } from '../../protocol/index.js';
import type { CallContext } from '../../providers/index.js';
import { newRouteTrace, type RouteTrace, type Routed, type Router } from '../../router/index.js';
import type { RequestContext } from '../request-context.js';
import { OVERHEAD_HEADER, setRoutingHeaders } from '../response-headers.js';

/** What the model routes (OpenAI and Anthropic) share: validation, routing bookkeeping, headers. */

/** A validated body, or a 400 naming the field. */
export function accept<T>(result: Validated<T>): T {
  if (result.ok) return result.value;
  const { param, message } = result.problem;
  throw new GatewayError('invalid_request', param ? `${param}: ${message}` : message, { param: param || null });
}

export function noteRequest(ctx: RequestContext, router: Router, model: string, stream: boolean): void {
  if (router.hasModelGroup(model)) ctx.modelGroup = model;
  ctx.stream = stream;
}

export function callContext(ctx: RequestContext): CallContext {
  return { signal: ctx.abort.signal, requestId: ctx.id };
}

/** Routes with a trace, so that a request that fails after attempts still says what was tried. */
export async function traced<T>(ctx: RequestContext, route: (trace: RouteTrace) => Promise<T>): Promise<T> {
  const trace = newRouteTrace();
  try {
    return await route(trace);
  } catch (error) {
    if (trace.attempts > 0) {
      ctx.attempts = trace.attempts;
      ctx.retries = trace.retries;
      ctx.fallbacks = trace.fallbacks;
      ctx.upstreamMs = trace.upstreamMs;
      setRoutingHeaders(ctx.response, ctx);
    }
    throw error;
  }
}

export function recordRouting(ctx: RequestContext, routed: Routed<unknown>): void {
  ctx.deployment = routed.deployment;
  ctx.attempts = routed.attempts;
  ctx.retries = routed.retries;
  ctx.fallbacks = routed.fallbacks;
  ctx.fallbackGroup = routed.fallbackGroup;
  ctx.upstreamMs = routed.upstreamMs;
}

/** The gateway's own time so far (total minus upstream), as a header; routing headers too. */
export function finishOverhead(ctx: RequestContext): void {
  ctx.overheadMs = Math.max(0, performance.now() - ctx.startedAt - (ctx.upstreamMs ?? 0));
  ctx.response.setHeader(OVERHEAD_HEADER, ctx.overheadMs.toFixed(2));
  setRoutingHeaders(ctx.response, ctx);
}

/** Token counts from an OpenAI-shaped usage object. */
export function noteUsage(ctx: RequestContext, usage: unknown): void {
  if (usage === null || typeof usage !== 'object') return;
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
  ctx.usage = {
    promptTokens: typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0,
    completionTokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0,
  };
}

/** Headers that open an event stream (after the routing headers are set). */
export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;
