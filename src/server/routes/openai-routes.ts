import type { Logger } from '../../core/index.js';
import { openAIUsage, type PriceBook } from '../../cost/index.js';
import { mayUse } from '../../keys/index.js';
import {
  mayCarryUsage, validateChatRequest, validateCompletionRequest, validateEmbeddingRequest, type SseEvent,
} from '../../protocol/index.js';
import type { Answer } from '../../providers/index.js';
import { isModelGroupPattern, modelNotFound, type Routed, type Router } from '../../router/index.js';
import type { CacheDeps } from '../../cache/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { queryOf, sendJson } from '../http/respond.js';
import { addCostHeader, withoutUsage } from '../call-cost.js';
import type { RequestContext } from '../request-context.js';
import { answerCost, consultCache, sendCachedOpenAI } from './cached-answer.js';
import {
  accept, callContext, finishOverhead, noteRequest, noteUsage, recordRouting, sendAnswer, takeGatewayOptions, traced,
} from './routed-request.js';

export interface OpenAIRouteDeps {
  router: Router;
  logger: Logger;
  startedAtSeconds: number;
  prices: PriceBook;
  /** The response cache (chat, text completions and embeddings); undefined when off. */
  cache?: CacheDeps;
}

/** The OpenAI-compatible API: chat, completions, embeddings, models. */
export function openAIRoutes(deps: OpenAIRouteDeps): RouteSpec[] {
  const { router, logger, prices } = deps;
  return [
    {
      method: 'POST',
      paths: ['/v1/chat/completions', '/chat/completions', '/openai/deployments/:deployment/chat/completions'],
      callKind: 'chat',
      readsBody: true,
      async handle(ctx, raw, params) {
        const { body, options } = takeGatewayOptions(ctx, accept(validateChatRequest(withPathModel(raw, params))), 'openai', logger);
        noteRequest(ctx, router, body.model, body.stream === true);
        const { request, hidden } = withStreamUsage(body);
        let cached = consultCache(ctx, deps.cache, 'completion', body.model, body, options.cache);
        if (cached instanceof Promise) cached = await cached;
        if (cached.hit) return sendCachedOpenAI(ctx, cached.hit.body, body.stream === true, body.stream_options?.include_usage === true);
        const routed = await traced(ctx, (trace) => router.chat(request, callContext(ctx, options, logger), trace, options));
        await answer(ctx, cached.store(routed, answerCost(ctx, prices, routed.deployment.id, usageOfBody)), prices, hidden);
      },
    },
    {
      method: 'POST',
      paths: ['/v1/completions', '/completions', '/openai/deployments/:deployment/completions'],
      callKind: 'completion',
      readsBody: true,
      async handle(ctx, raw, params) {
        const { body, options } = takeGatewayOptions(ctx, accept(validateCompletionRequest(withPathModel(raw, params))), 'openai', logger);
        noteRequest(ctx, router, body.model, body.stream === true);
        const { request, hidden } = withStreamUsage(body);
        let cached = consultCache(ctx, deps.cache, 'text_completion', body.model, body, options.cache);
        if (cached instanceof Promise) cached = await cached;
        if (cached.hit) return sendCachedOpenAI(ctx, cached.hit.body, body.stream === true, body.stream_options?.include_usage === true, 'text');
        const routed = await traced(ctx, (trace) => router.completion(request, callContext(ctx, options, logger), trace, options));
        await answer(ctx, cached.store(routed, answerCost(ctx, prices, routed.deployment.id, usageOfBody)), prices, hidden);
      },
    },
    {
      method: 'POST',
      paths: ['/v1/embeddings', '/embeddings', '/openai/deployments/:deployment/embeddings'],
      callKind: 'embedding',
      readsBody: true,
      async handle(ctx, raw, params) {
        const { body, options } = takeGatewayOptions(ctx, accept(validateEmbeddingRequest(withPathModel(raw, params))), 'openai', logger);
        noteRequest(ctx, router, body.model, false);
        let cached = consultCache(ctx, deps.cache, 'embedding', body.model, body, options.cache);
        if (cached instanceof Promise) cached = await cached;
        if (cached.hit) return sendCachedOpenAI(ctx, cached.hit.body, false, false);
        const routed = await traced(ctx, (trace) => router.embedding(body, callContext(ctx, options, logger), trace, options));
        cached.storeJson(routed.answer, answerCost(ctx, prices, routed.deployment.id, usageOfBody));
        recordRouting(ctx, routed);
        noteUsage(ctx, routed.answer.usage);
        addCostHeader(ctx, prices);
        finishOverhead(ctx);
        sendJson(ctx, 200, routed.answer);
      },
    },
    {
      // Wildcard groups (`openai/*`) are not model ids a client can send; LiteLLM lists them only on
      // request (`?return_wildcard_routes=true`), and so do we.
      method: 'GET',
      paths: ['/v1/models', '/models'],
      handle(ctx) {
        const wildcards = queryOf(ctx.request.url).get('return_wildcard_routes')?.toLowerCase() === 'true';
        sendJson(ctx, 200, {
          object: 'list',
          data: router.modelGroups()
            .filter((id) => (wildcards || !isModelGroupPattern(id)) && (ctx.caller === undefined || mayUse(ctx.caller, id)))
            .map((id) => modelObject(id, deps.startedAtSeconds)),
        });
      },
    },
    {
      // The SDK's `models.retrieve(id)`. It percent-encodes the id, so a name with a slash
      // (`openai/gpt-4o`) arrives as one segment. A name served through a wildcard group is a model too.
      method: 'GET',
      paths: ['/v1/models/:model', '/models/:model'],
      handle(ctx, _body, params) {
        const id = params.model ?? '';
        if (!router.hasModelGroup(id) || isModelGroupPattern(id) || (ctx.caller !== undefined && !mayUse(ctx.caller, id))) throw modelNotFound(id);
        sendJson(ctx, 200, modelObject(id, deps.startedAtSeconds));
      },
    },
  ];
}

function modelObject(id: string, created: number): { id: string; object: 'model'; created: number; owned_by: string } {
  return { id, object: 'model', created, owned_by: 'switchyard' };
}

/**
 * Azure's paths name the deployment, and Azure clients send no `model` in the body: the model group
 * is the one the path names. A `model` in the body wins (LiteLLM reads it first too).
 */
function withPathModel(raw: unknown, params: Readonly<Record<string, string>>): unknown {
  const name = params.deployment;
  if (name === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw) || 'model' in raw) return raw;
  return { ...raw, model: name };
}

/**
 * A stream is priced from its usage, so the upstream is always asked for it
 * (`stream_options.include_usage`); when the client did not ask, `hidden` says to take it out of
 * what the client receives.
 */
function withStreamUsage<T extends { stream?: boolean | null; stream_options?: { include_usage?: boolean } | null }>(body: T): { request: T; hidden: boolean } {
  if (body.stream !== true || body.stream_options?.include_usage === true) return { request: body, hidden: false };
  return { request: { ...body, stream_options: { ...body.stream_options, include_usage: true } }, hidden: true };
}

function answer(ctx: RequestContext, routed: Routed<Answer<{ usage?: unknown }>>, prices: PriceBook, hidden: boolean): Promise<void> {
  return sendAnswer(ctx, routed, {
    shape: 'openai',
    done: true,
    prices,
    ...(hidden ? { rewrite: withoutUsage } : {}),
    noteBody: (body) => noteUsage(ctx, body.usage),
    onEvent: (event: SseEvent) => {
      if (mayCarryUsage(event.data)) noteUsage(ctx, safeParse(event.data)?.usage);
    },
  });
}

/** The usage an OpenAI answer (chat, text completion, embedding) reports, as the price book reads it. */
function usageOfBody(body: unknown): ReturnType<typeof openAIUsage> {
  return openAIUsage((body as { usage?: unknown } | null)?.usage);
}

function safeParse(text: string): { usage?: unknown } | undefined {
  try {
    return JSON.parse(text) as { usage?: unknown };
  } catch {
    return undefined;
  }
}
