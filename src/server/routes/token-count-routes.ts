import type { Config } from '../../config/index.js';
import { GatewayError } from '../../core/index.js';
import { validateChatRequest, validateCountTokensRequest, type ChatMessage } from '../../protocol/index.js';
import { countChatTokens, countText, encodingForModel } from '../../providers/index.js';
import type { Router } from '../../router/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { queryOf, sendJson } from '../http/respond.js';
import { passHeaders } from './anthropic-routes.js';
import { accept, callContext, finishOverhead, noteRequest, recordRouting, traced } from './routed-request.js';

/**
 * Token counting: Anthropic's `POST /v1/messages/count_tokens` (routed like a Messages call:
 * forwarded to an `anthropic/` deployment, counted locally for the rest; Anthropic's shapes, the
 * SDKs' `?beta=true` passed on) and LiteLLM's `POST /utils/token_counter`, always counted here.
 */
export function tokenCountRoutes(deps: { router: Router; config: Config }): RouteSpec[] {
  const { router, config } = deps;
  return [
    {
      method: 'POST',
      paths: ['/v1/messages/count_tokens'],
      errorShape: 'anthropic',
      readsBody: true,
      async handle(ctx, raw) {
        // The id also as `request-id`, the header the Anthropic SDK reads (errors included).
        ctx.headers.push('request-id', ctx.id);
        const body = accept(validateCountTokensRequest(raw));
        noteRequest(ctx, router, body.model, false);
        const beta = queryOf(ctx.request.url).get('beta') === 'true';
        const call = { ...callContext(ctx), passHeaders: passHeaders(ctx) };
        const routed = await traced(ctx, (trace) => router.countTokens(body, call, beta, trace));
        recordRouting(ctx, routed);
        finishOverhead(ctx);
        sendJson(ctx, 200, routed.answer);
      },
    },
    {
      method: 'POST',
      paths: ['/utils/token_counter'],
      readsBody: true,
      handle(ctx, raw) {
        const request = tokenCounterRequest(raw);
        noteRequest(ctx, router, request.model, false);
        // The upstream model of the group's first deployment decides the encoding (as LiteLLM does).
        const deployment = config.deployments.find((d) => d.modelName === request.model);
        const model = deployment === undefined ? request.model : `${deployment.provider}/${deployment.model}`;
        const encoding = encodingForModel(deployment?.model ?? request.model);
        const total = request.messages !== undefined ? countChatTokens(request.messages, undefined, encoding) : countText(request.prompt ?? '', encoding);
        finishOverhead(ctx);
        sendJson(ctx, 200, { total_tokens: total, request_model: request.model, model_used: model, tokenizer_type: 'openai_tokenizer' });
      },
    },
  ];
}

/** `{model, messages}` (checked as chat messages) or `{model, prompt}`. */
function tokenCounterRequest(raw: unknown): { model: string; messages?: ChatMessage[]; prompt?: string } {
  const body = raw as { model?: unknown; messages?: unknown; prompt?: unknown } | null;
  if (body !== null && typeof body === 'object' && body.messages === undefined && typeof body.prompt === 'string') {
    if (typeof body.model !== 'string' || body.model === '') throw new GatewayError('invalid_request', 'model: is required', { param: 'model' });
    return { model: body.model, prompt: body.prompt };
  }
  return accept(validateChatRequest(raw));
}
