import type { RequestContext } from './request-context.js';

/** LiteLLM's header names, so dashboards and clients that read them keep working. */
export const OVERHEAD_HEADER = 'x-litellm-overhead-duration-ms';
export const DURATION_HEADER = 'x-litellm-response-duration-ms';
export const REQUEST_ID_HEADER = 'x-request-id';

/** On every response: LiteLLM's call id, which is the gateway's request id (`x-request-id`). */
export const CALL_ID_HEADER = 'x-litellm-call-id';
/** On every response: Switchyard's own version (a script comparing it with LiteLLM's numbers learns which gateway answered). */
export const VERSION_HEADER = 'x-litellm-version';

/** Milliseconds from arrival to now, as the answer's head goes out (for a stream: to its first byte). */
export function addDurationHeader(ctx: RequestContext): void {
  ctx.headers.push(DURATION_HEADER, (performance.now() - ctx.startedAt).toFixed(2));
}

/**
 * How the request was routed: the deployment that answered, its model group (the fallback group
 * when one answered), its upstream model and where that is (scheme, host and port only), the
 * retries made within groups and the number of fallback groups tried. A request that failed
 * after attempts carries the counts without a deployment.
 */
export function addRoutingHeaders(ctx: RequestContext): void {
  const headers = ctx.headers;
  const deployment = ctx.deployment;
  if (deployment !== undefined) {
    headers.push(
      'x-litellm-model-id', headerValue(deployment.id),
      'x-litellm-model-group', headerValue(deployment.modelName),
      'x-litellm-model-name', headerValue(`${deployment.provider}/${deployment.model}`),
    );
    if (ctx.apiBase !== undefined) headers.push('x-litellm-model-api-base', headerValue(ctx.apiBase));
  }
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
