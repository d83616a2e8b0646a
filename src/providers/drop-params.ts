import type { Deployment } from '../config/index.js';
import type { CallContext } from './adapter.js';

/**
 * LiteLLM's `drop_params`: whether a request parameter this deployment cannot take is dropped
 * (and named in the debug log) rather than refused with a 400, and the fields never to send to it
 * (`additional_drop_params`). The request's own `drop_params` beats the deployment's, which beats
 * `litellm_settings.drop_params`; additional fields from the request and the deployment add up.
 */
export interface DropPolicy {
  readonly dropUnsupported: boolean;
  readonly alwaysDrop: readonly string[];
}

export function dropPolicy(deployment: Deployment, ctx: CallContext): DropPolicy {
  const own = deployment.params.additionalDropParams;
  const asked = ctx.additionalDropParams;
  return {
    dropUnsupported: ctx.dropParams ?? deployment.params.dropParams,
    alwaysDrop: asked === undefined ? own : own.length === 0 ? asked : [...own, ...asked],
  };
}

/** `body` without the `fields` it has (a copy only when one is there); their names go to `dropped`. */
export function withoutFields<T extends object>(body: T, fields: readonly string[], dropped: string[]): T {
  let out: Record<string, unknown> | undefined;
  for (const field of fields) {
    if (!Object.hasOwn(body, field)) continue;
    out ??= { ...(body as Record<string, unknown>) };
    delete out[field];
    dropped.push(field);
  }
  return (out ?? body) as T;
}

/** Tells the request (for its debug log line) what was dropped, when anything was. */
export function reportDropped(deployment: Deployment, ctx: CallContext, dropped: readonly string[]): void {
  if (dropped.length > 0) ctx.onDropped?.(deployment, dropped);
}
