import type { ServerResponse } from 'node:http';
import type { RequestContext } from './request-context.js';

/** LiteLLM's header names, so dashboards and clients that read them keep working. */
export const OVERHEAD_HEADER = 'x-litellm-overhead-duration-ms';
export const REQUEST_ID_HEADER = 'x-request-id';

/** Which deployment answered, how many attempts it took and any fallback used. */
export function setRoutingHeaders(res: ServerResponse, ctx: RequestContext): void {
  if (ctx.deployment === undefined) return;
  res.setHeader('x-litellm-model-id', ctx.deployment.id);
  res.setHeader('x-litellm-model-group', ctx.deployment.modelName);
  res.setHeader('x-litellm-attempted-retries', String(Math.max(0, (ctx.attempts ?? 1) - 1)));
  if (ctx.fallbackGroup !== undefined) res.setHeader('x-litellm-attempted-fallbacks', ctx.fallbackGroup);
}
