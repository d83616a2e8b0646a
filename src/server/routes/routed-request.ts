import { GatewayError, type Logger } from '../../core/index.js';
import { openAIUsage, type PriceBook } from '../../cost/index.js';
import { takeGatewayFields, type GatewayOptions, type ParamStyle, type SseEvent, type Validated } from '../../protocol/index.js';
import type { Answer, CallContext } from '../../providers/index.js';
import { newRouteTrace, type RouteTrace, type Routed, type Router } from '../../router/index.js';
import { addCostHeader } from '../call-cost.js';
import { sendHead, sendJson } from '../http/respond.js';
import type { ErrorShape } from '../http/route-table.js';
import type { RequestContext } from '../request-context.js';
import { addDurationHeader, addRoutingHeaders, OVERHEAD_HEADER } from '../response-headers.js';
import { pipeEvents } from '../sse-writer.js';

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

/**
 * The request without its gateway-only fields (LiteLLM's `mock_response`, `num_retries`,
 * `metadata.tags`, …; protocol/gateway-fields.ts), and what they ask. Tags go to the log line;
 * the names of the fields taken out go to the debug log.
 */
export function takeGatewayOptions<T extends object>(ctx: RequestContext, body: T, style: ParamStyle, logger: Logger): { body: T; options: GatewayOptions } {
  const taken = accept(takeGatewayFields(body, style));
  const { options } = taken;
  if (options.tags.length > 0) ctx.tags = options.tags;
  if (options.consumed.length > 0) logger.debug({ request_id: ctx.id, fields: options.consumed }, 'gateway-only request fields taken out before routing');
  return taken;
}

/** The call's context; `options` and `logger` for routes whose request carries gateway fields (drop_params). */
export function callContext(ctx: RequestContext, options?: GatewayOptions, logger?: Logger): CallContext {
  const call: CallContext = { signal: ctx.abort.signal, requestId: ctx.id, bodyBytes: ctx.bodyBytes };
  if (options?.dropParams !== undefined) call.dropParams = options.dropParams;
  if (options !== undefined && options.additionalDropParams.length > 0) call.additionalDropParams = options.additionalDropParams;
  if (logger !== undefined) {
    call.onDropped = (deployment, fields) => {
      logger.debug({ request_id: ctx.id, deployment_id: deployment.id, model_group: deployment.modelName, dropped_params: fields }, 'drop_params: fields the deployment does not take were dropped');
    };
  }
  return call;
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
      addRoutingHeaders(ctx);
    }
    throw error;
  }
}

export function recordRouting(ctx: RequestContext, routed: Routed<unknown>): void {
  ctx.deployment = routed.deployment;
  ctx.apiBase = routed.apiBase;
  ctx.attempts = routed.attempts;
  ctx.retries = routed.retries;
  ctx.fallbacks = routed.fallbacks;
  ctx.fallbackGroup = routed.fallbackGroup;
  ctx.upstreamMs = routed.upstreamMs;
}

/** The gateway's own time so far (total minus upstream), as a header; routing headers too. */
export function finishOverhead(ctx: RequestContext): void {
  ctx.overheadMs = Math.max(0, performance.now() - ctx.startedAt - (ctx.upstreamMs ?? 0));
  ctx.headers.push(OVERHEAD_HEADER, ctx.overheadMs.toFixed(2));
  addDurationHeader(ctx);
  addRoutingHeaders(ctx);
}

/** Token counts from an OpenAI-shaped usage object. */
export function noteUsage(ctx: RequestContext, usage: unknown): void {
  const read = openAIUsage(usage);
  if (read !== undefined) ctx.usage = read;
}

/**
 * Writes a routed chat-like answer in the route's API: the JSON body, or the event stream (with
 * the time its first event reached the client and any failure after it began). The overhead and
 * routing headers go out first, with whichever of the two it is.
 */
export async function sendAnswer<B>(
  ctx: RequestContext,
  routed: Routed<Answer<B>>,
  api: {
    shape: ErrorShape;
    done: boolean;
    noteBody: (body: B) => void;
    onEvent: (event: SseEvent) => void;
    /** Prices the answer (the cost header of a whole answer; a stream is priced when it ends). */
    prices: PriceBook;
    /** What the client receives of each stream event (pipeEvents' `rewrite`). */
    rewrite?: (event: SseEvent) => SseEvent | null;
    /** The event that ends a stream that failed after it began, when the API has its own (Responses). */
    errorEvent?: (error: GatewayError) => SseEvent;
  },
): Promise<void> {
  recordRouting(ctx, routed);
  finishOverhead(ctx);
  const answer = routed.answer;
  if (!answer.stream) {
    api.noteBody(answer.body);
    addCostHeader(ctx, api.prices);
    sendJson(ctx, 200, answer.body);
    return;
  }
  sendHead(ctx, 200, EVENT_STREAM_HEADERS);
  const outcome = await pipeEvents(ctx.response, answer.events, { shape: api.shape, done: api.done, onEvent: api.onEvent, rewrite: api.rewrite, errorEvent: api.errorEvent });
  if (outcome.firstEventAt !== undefined) ctx.firstByteMs = outcome.firstEventAt - ctx.startedAt;
  if (outcome.error) ctx.errorCode = outcome.error.code;
  // A bug mid-stream: the client has its error event; thrown on, it is logged like any other bug.
  if (outcome.bug !== undefined) throw outcome.bug;
}

/** Headers that open an event stream (after the routing headers are set). */
export const EVENT_STREAM_HEADERS: readonly string[] = [
  'content-type', 'text/event-stream; charset=utf-8',
  'cache-control', 'no-cache',
  'x-accel-buffering', 'no',
];
