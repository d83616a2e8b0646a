import { sequentialId } from '../core/index.js';
import type { SpendRow } from '../spend/index.js';
import type { RequestContext } from './request-context.js';

/** LiteLLM's `call_type` per route pattern; only these routes are calls that get a spend row. */
const CALL_TYPES: ReadonlyMap<string, string> = new Map([
  ['/v1/chat/completions', 'acompletion'], ['/chat/completions', 'acompletion'],
  ['/openai/deployments/:deployment/chat/completions', 'acompletion'],
  ['/v1/completions', 'atext_completion'], ['/completions', 'atext_completion'],
  ['/openai/deployments/:deployment/completions', 'atext_completion'],
  ['/v1/embeddings', 'aembedding'], ['/embeddings', 'aembedding'], ['/openai/deployments/:deployment/embeddings', 'aembedding'],
  ['/v1/messages', 'anthropic_messages'],
  ['/v1/responses', 'aresponses'], ['/responses', 'aresponses'],
]);

/**
 * The spend row of a finished call, or undefined for requests that are not calls (health,
 * metrics, a body refused before it named a model). Failed calls get a row too (`status:
 * failure`), as in LiteLLM. The row's `request_id` is the request id when the gateway made it; a
 * client-chosen `x-request-id` may repeat, so its row gets a suffix and the client's id goes in
 * `metadata.client_request_id`.
 */
export function spendRecord(ctx: RequestContext, status: number): SpendRow | undefined {
  const callType = CALL_TYPES.get(ctx.route);
  if (callType === undefined || ctx.stream === undefined) return undefined;
  const now = Date.now();
  const durationMs = performance.now() - ctx.startedAt;
  const startedAt = Math.trunc(now - durationMs);
  const usage = ctx.usage;
  const cost = ctx.cost;
  const deployment = ctx.deployment;
  const metadata: Record<string, unknown> = {
    status_code: status,
    price_source: cost?.source ?? null,
  };
  if (ctx.idFromClient) metadata.client_request_id = ctx.id;
  if (cost === null) metadata.spend_unknown = true;
  if (usage !== undefined) metadata.usage_object = { cache_read_input_tokens: usage.cacheRead, cache_creation_input_tokens: usage.cacheWrite };
  if (ctx.errorCode !== undefined) metadata.error_code = ctx.errorCode;
  if (ctx.attempts !== undefined && ctx.attempts > 1) metadata.attempts = ctx.attempts;
  if (ctx.fallbackGroup !== undefined) metadata.fallback_group = ctx.fallbackGroup;
  const caller = ctx.caller;
  if (caller !== undefined) {
    // LiteLLM's metadata names for who called (its spend-log UI reads them).
    metadata.user_api_key_alias = caller.keyAlias;
    metadata.user_api_key_team_id = caller.teamId;
    metadata.user_api_key_team_alias = caller.teamAlias;
    metadata.user_api_key_user_id = caller.userId;
  }
  // LiteLLM's name (its logging payload's saved_cache_cost): what the call that made the answer cost.
  if (ctx.cache === 'hit' && typeof ctx.savedUsd === 'number') metadata.saved_cache_cost = ctx.savedUsd;
  return {
    request_id: ctx.idFromClient ? `${ctx.id}.${sequentialId()}` : ctx.id,
    call_type: callType,
    api_key: caller?.tokenHash ?? '',
    spend: cost != null ? cost.usd : 0,
    total_tokens: usage === undefined ? 0 : usage.input + usage.output,
    prompt_tokens: usage?.input ?? 0,
    completion_tokens: usage?.output ?? 0,
    startTime: startedAt,
    endTime: now,
    request_duration_ms: Math.round(durationMs),
    completionStartTime: ctx.firstByteMs === undefined ? null : Math.trunc(startedAt + ctx.firstByteMs),
    model: deployment?.model ?? '',
    model_id: deployment?.id ?? '',
    model_group: ctx.modelGroup ?? '',
    custom_llm_provider: deployment?.provider ?? '',
    api_base: ctx.apiBase ?? '',
    user: caller?.userId ?? '',
    metadata,
    request_tags: ctx.tags ?? [],
    team_id: caller?.teamId ?? null,
    organization_id: null,
    end_user: null,
    status: status < 400 && ctx.errorCode === undefined ? 'success' : 'failure',
    cache_hit: ctx.cache === 'hit' ? 'True' : 'False',
    cache_key: ctx.cacheKey ?? '',
  };
}
