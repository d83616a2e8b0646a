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
  if (ctx.deployment !== undefined) headers.push('x-litellm-model-id', headerValue(ctx.deployment.id), 'x-litellm-model-group', headerValue(ctx.deployment.modelName));
  if (ctx.attempts !== undefined) headers.push('x-litellm-attempted-retries', String(ctx.retries ?? 0), 'x-litellm-attempted-fallbacks', String(ctx.fallbacks ?? 0));
}

/**
 * A name from the config as a header value: HTTP allows visible ASCII (and node rejects what is
 * not Latin-1), but a model group may be called `modèle-日本`; such a name is percent-encoded.
 */
export function headerValue(text: string): string {
  return UNSAFE_IN_HEADER.test(text) ? encodeURIComponent(text) : text;
}

const UNSAFE_IN_HEADER = /[^\x20-\x7e]/;
