import type { Logger } from '../../core/index.js';
import { anthropicUsage, type PriceBook } from '../../cost/index.js';
import { validateMessagesRequest, type AnthropicMessage, type SseEvent } from '../../protocol/index.js';
import type { CacheDeps } from '../../cache/index.js';
import type { Router } from '../../router/index.js';
import type { RouteSpec } from '../http/route-table.js';
import type { RequestContext } from '../request-context.js';
import { answerCost, consultCache, sendCachedMessage } from './cached-answer.js';
import { accept, callContext, noteRequest, sendAnswer, takeGatewayOptions, traced } from './routed-request.js';

export interface AnthropicRouteDeps {
  router: Router;
  logger: Logger;
  prices: PriceBook;
  /** The response cache; undefined when off. */
  cache?: CacheDeps;
}

/** Client headers that mean something to an Anthropic upstream (never the caller's key). */
const PASSED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

/**
 * The Anthropic Messages API for every model group: native for `anthropic/` deployments,
 * translated through chat completions for the rest. Errors on this route, including auth and
 * body-parsing failures, are written in Anthropic's shape.
 */
export function anthropicRoutes(deps: AnthropicRouteDeps): RouteSpec[] {
  const { router, logger } = deps;
  return [{
    method: 'POST',
    paths: ['/v1/messages'],
    callKind: 'messages',
    errorShape: 'anthropic',
    readsBody: true,
    async handle(ctx, raw) {
      const { body, options } = takeGatewayOptions(ctx, accept(validateMessagesRequest(raw)), 'anthropic', logger);
      noteRequest(ctx, router, body.model, body.stream === true);
      let cached = consultCache(ctx, deps.cache, 'messages', body.model, body, options.cache);
      if (cached instanceof Promise) cached = await cached;
      // The id also as `request-id`, the header the Anthropic SDK exposes as `_request_id`.
      ctx.headers.push('request-id', ctx.id);
      if (cached.hit) {
        noteUsage(ctx, (cached.hit.body as { usage?: AnthropicMessage['usage'] }).usage);
        return sendCachedMessage(ctx, cached.hit.body, body.stream === true);
      }
      const call = { ...callContext(ctx, options, logger), passHeaders: passHeaders(ctx) };
      const answered = await traced(ctx, (trace) => router.messages(body, call, trace, options));
      const routed = cached.store(answered, answerCost(ctx, deps.prices, answered.deployment.id, (message) => anthropicUsage((message as { usage?: unknown } | null)?.usage)));
      await sendAnswer(ctx, routed, {
        shape: 'anthropic',
        done: false,
        prices: deps.prices,
        noteBody: (message) => noteUsage(ctx, message.usage),
        onEvent: (event) => noteStreamUsage(ctx, event),
      });
    },
  }];
}

/** The caller's Anthropic version and betas, for a native upstream (count_tokens too). */
export function passHeaders(ctx: RequestContext): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const name of PASSED_HEADERS) {
    const value = ctx.request.headers[name];
    const text = Array.isArray(value) ? value.join(',') : value;
    if (text) (out ??= {})[name] = text;
  }
  return out;
}

/** Input as OpenAI counts it (cached tokens included), so logs read the same on both routes. */
function noteUsage(ctx: RequestContext, usage: Partial<AnthropicMessage['usage']> | undefined): void {
  if (usage == null) return;
  ctx.usage = anthropicUsage(usage, ctx.usage);
}

function noteStreamUsage(ctx: RequestContext, event: SseEvent): void {
  if (event.event !== 'message_start' && event.event !== 'message_delta') return;
  try {
    const data = JSON.parse(event.data) as { message?: { usage?: AnthropicMessage['usage'] }; usage?: AnthropicMessage['usage'] };
    noteUsage(ctx, data.message?.usage ?? data.usage);
  } catch {
    // the client gets the event as it is; only the log line misses its tokens
  }
}
