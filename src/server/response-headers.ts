import type { RequestContext } from './request-context.js';

/** LiteLLM's header names, so dashboards and clients that read them keep working. */
export const OVERHEAD_HEADER = 'x-litellm-overhead-duration-ms';
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * How the request was routed: the deployment that answered and its model group (the fallback
 * group when one answered), the retries made within groups and the number of fallback groups
 * tried. A request that failed after attempts carries the counts without a deployment.
 */
export function addRoutingHeaders(ctx: RequestContext): void {
  const headers = ctx.headers;
  if (ctx.deployment !== undefined) headers.push('x-litellm-model-id', ctx.deployment.id, 'x-litellm-model-group', ctx.deployment.modelName);
  if (ctx.attempts !== undefined) headers.push('x-litellm-attempted-retries', String(ctx.retries ?? 0), 'x-litellm-attempted-fallbacks', String(ctx.fallbacks ?? 0));
}
