import { z } from 'zod';
import { formatParam, type ParamStyle, type Validated } from './validation.js';

/**
 * Body fields that LiteLLM clients send to the gateway, not to the model: they are taken out of
 * the request before it is routed, so that no provider ever sees them (OpenAI and Anthropic answer
 * an unknown field with a 400), and the ones that mean something here are honoured. Each field
 * and what happens to it is listed in docs/litellm-compat.md ("Gateway-only request fields").
 */

/** Read and acted on. */
const HONOURED = ['mock_response', 'num_retries', 'fallbacks', 'disable_fallbacks', 'tags', 'drop_params', 'additional_drop_params', 'cache'] as const;

/** LiteLLM's own bookkeeping, caching and testing fields: consumed and never forwarded. */
const CONSUMED = [
  'litellm_session_id', 'litellm_trace_id', 'litellm_metadata', 'litellm_call_id', 'litellm_logging_obj', 'context_window_fallback_dict',
  'caching', 'ttl', 'no-log', 'mock_testing_fallbacks', 'mock_testing_rate_limit_error', 'mock_timeout', 'guardrails',
  'proxy_server_request', 'secret_fields', 'timeout', 'request_timeout', 'max_retries',
] as const;

/** `metadata` keys LiteLLM reads (logging, tracing, spend): never OpenAI's own metadata. */
const LITELLM_METADATA_KEYS = new Set([
  'tags', 'trace_id', 'trace_name', 'trace_user_id', 'trace_metadata', 'trace_version', 'trace_release', 'existing_trace_id',
  'update_trace_keys', 'generation_name', 'generation_id', 'session_id', 'prompt_id', 'prompt_version', 'spend_logs_metadata',
  'requester_metadata', 'headers', 'endpoint', 'model_group', 'deployment', 'caching_groups', 'debug_langfuse', 'mask_input',
  'mask_output', 'parent_observation_id', 'langfuse_prompt',
]);

/** OpenAI's limits on its own `metadata` (with `store: true`): 16 pairs, keys to 64 characters, values to 512. */
const OPENAI_METADATA_MAX_PAIRS = 16;

/** Retries a request may ask for: more would let one call multiply into a storm. */
export const MAX_REQUEST_RETRIES = 10;

/** What a request asks of the gateway itself. */
export interface GatewayOptions {
  /** Answer with this text, calling no one (LiteLLM's testing habit). */
  readonly mockResponse?: string;
  readonly numRetries?: number;
  /** Model groups to fall back to, in place of the configured list for the group asked for. */
  readonly fallbacks?: readonly string[];
  readonly disableFallbacks: boolean;
  /** For logs: `tags` and `metadata.tags`. */
  readonly tags: readonly string[];
  readonly dropParams?: boolean;
  readonly additionalDropParams: readonly string[];
  /** LiteLLM's per-request cache controls (`cache: {"no-cache": true, …}`); see docs/caching.md. */
  readonly cache?: CacheControls;
  /** Names of the gateway-only fields the request carried (never values), for the debug log. */
  readonly consumed: readonly string[];
}

export interface CacheControls {
  /** `use-cache`: this request takes part when the cache is `mode: default_off`. */
  readonly useCache: boolean;
  /** Do not answer from the cache (the answer may still be stored). */
  readonly noCache: boolean;
  /** Do not store this answer. */
  readonly noStore: boolean;
  /** Seconds this answer lives in the cache, in place of the configured ttl. */
  readonly ttlSeconds?: number;
  /** Accept only a cached answer younger than this many seconds. */
  readonly maxAgeSeconds?: number;
  /** Entries of this request live apart, under this namespace. */
  readonly namespace?: string;
}

export const NO_GATEWAY_OPTIONS: GatewayOptions = Object.freeze({ disableFallbacks: false, tags: [], additionalDropParams: [], consumed: [] });

const tagList = z.array(z.string({ error: 'expected a string' }).max(256, 'must be at most 256 characters'), { error: 'expected a list of strings' }).max(64, 'must have at most 64 tags');
/** `["gpt-4o", …]`, or LiteLLM's `[{"model": "gpt-4o", …}]`. */
const fallbackEntry = z.union([z.string(), z.looseObject({ model: z.string() })], { error: 'expected a model group name or {"model": name}' });

const schema = z.looseObject({
  mock_response: z.string({ error: 'expected a string' }).optional(),
  num_retries: z.number({ error: 'expected a whole number' }).int('expected a whole number').min(0, 'must be 0 or more').max(MAX_REQUEST_RETRIES, `must be at most ${MAX_REQUEST_RETRIES}`).optional(),
  fallbacks: z.array(fallbackEntry, { error: 'expected a list of model groups' }).optional(),
  disable_fallbacks: z.boolean({ error: 'expected true or false' }).optional(),
  tags: tagList.nullable().optional(),
  drop_params: z.boolean({ error: 'expected true or false' }).nullable().optional(),
  additional_drop_params: z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of field names' }).nullable().optional(),
  cache: z.looseObject({
    'no-cache': z.boolean({ error: 'expected true or false' }).optional(),
    'no-store': z.boolean({ error: 'expected true or false' }).optional(),
    'use-cache': z.boolean({ error: 'expected true or false' }).optional(),
    ttl: z.number({ error: 'expected a number of seconds' }).positive('must be above 0').optional(),
    's-maxage': z.number({ error: 'expected a number of seconds' }).min(0, 'must be 0 or more').optional(),
    namespace: z.string({ error: 'expected a string' }).min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional(),
  }, { error: 'expected an object' }).nullable().optional(),
  metadata: z.looseObject({ tags: tagList.nullable().optional() }, { error: 'expected an object' }).nullable().optional(),
});

/**
 * The request without its gateway-only fields, and what they asked. The body is copied only when
 * it has one (most requests have none). `metadata`: on the OpenAI API it stays only as OpenAI's
 * own (with `store: true`, string values, LiteLLM's keys removed); on the Anthropic API only its
 * `user_id`, the one key Anthropic takes.
 */
export function takeGatewayFields<T extends object>(body: T, style: ParamStyle): Validated<{ body: T; options: GatewayOptions }> {
  const record = body as Record<string, unknown>;
  let present: string[] | undefined;
  for (const key in record) {
    if (isGatewayField(key) || key === 'metadata') (present ??= []).push(key);
  }
  if (present === undefined) return { ok: true, value: { body, options: NO_GATEWAY_OPTIONS } };
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problem: { param: formatParam(issue.path, style), message: issue.message } };
  }
  const out: Record<string, unknown> = { ...record };
  const consumed: string[] = [];
  for (const key of present) {
    if (key === 'metadata') continue;
    delete out[key];
    consumed.push(key);
  }
  const metadata = record.metadata as Record<string, unknown> | null | undefined;
  const keptMetadata = style === 'anthropic' ? anthropicMetadata(metadata) : openAIMetadata(metadata, record.store === true);
  if (keptMetadata === undefined) delete out.metadata;
  else out.metadata = keptMetadata;
  if (metadata != null && keptMetadata !== metadata) consumed.push('metadata');
  const p = parsed.data;
  const tags = [...(p.tags ?? []), ...(p.metadata?.tags ?? [])];
  const options: GatewayOptions = {
    mockResponse: p.mock_response,
    numRetries: p.num_retries,
    fallbacks: p.fallbacks?.map((entry) => (typeof entry === 'string' ? entry : entry.model)),
    disableFallbacks: p.disable_fallbacks === true,
    tags: [...new Set(tags)],
    dropParams: p.drop_params ?? undefined,
    additionalDropParams: p.additional_drop_params ?? [],
    consumed,
  };
  if (p.cache != null) {
    const c = p.cache;
    (options as { cache?: CacheControls }).cache = {
      useCache: c['use-cache'] === true, noCache: c['no-cache'] === true, noStore: c['no-store'] === true, ttlSeconds: c.ttl, maxAgeSeconds: c['s-maxage'], namespace: c.namespace,
    };
  }
  return { ok: true, value: { body: out as T, options } };
}

const GATEWAY_FIELDS: ReadonlySet<string> = new Set([...HONOURED, ...CONSUMED]);

function isGatewayField(key: string): boolean {
  return GATEWAY_FIELDS.has(key) || key.startsWith('user_api_key');
}

/** OpenAI's `metadata` as OpenAI takes it, or undefined: nothing of it is OpenAI's. */
function openAIMetadata(metadata: Record<string, unknown> | null | undefined, store: boolean): Record<string, unknown> | undefined {
  if (metadata == null || !store) return undefined;
  const kept: Record<string, string> = {};
  let pairs = 0;
  let changed = false;
  for (const [key, value] of Object.entries(metadata)) {
    if (LITELLM_METADATA_KEYS.has(key) || key.startsWith('user_api_key') || typeof value !== 'string' || pairs >= OPENAI_METADATA_MAX_PAIRS) {
      changed = true;
      continue;
    }
    kept[key] = value;
    pairs++;
  }
  if (pairs === 0) return undefined;
  return changed ? kept : metadata;
}

/** Anthropic's `metadata` takes `user_id` alone; everything else in it is LiteLLM's. */
function anthropicMetadata(metadata: Record<string, unknown> | null | undefined): Record<string, unknown> | undefined {
  if (metadata == null) return undefined;
  const keys = Object.keys(metadata);
  if (keys.length === 1 && keys[0] === 'user_id') return metadata;
  if (!('user_id' in metadata)) return undefined;
  return { user_id: metadata.user_id };
}
