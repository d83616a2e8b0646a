import { stableHash } from '../core/index.js';
import { CONFIG_DEFAULTS } from './defaults.js';
import type { ConfigProblem } from './problems.js';
import type { RawConfig, RawDeployment } from './schema.js';
import type { AwsParams, CacheSettings, Config, DatabaseSettings, Deployment, DeploymentParams, HealthSettings, RedisNode, RedisSettings, RouterSettings } from './types.js';

const SAMPLING_DEFAULT_KEYS = [
  'temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'frequency_penalty', 'presence_penalty', 'seed', 'stop',
] as const;

/** `openai/gpt-4o` → openai + gpt-4o. Without a prefix, LiteLLM infers the provider from the name. */
export function splitProviderModel(model: string): { provider: string; model: string } {
  const slash = model.indexOf('/');
  if (slash > 0) return { provider: model.slice(0, slash), model: model.slice(slash + 1) };
  return { provider: /^claude/i.test(model) ? 'anthropic' : 'openai', model };
}

export interface NormalizeInput {
  raw: RawConfig;
  /** Entries as written, before `os.environ/` resolution: ids hash these, so rotating a key keeps the id. */
  unresolvedModelList: unknown[];
  env: NodeJS.ProcessEnv;
  source: string | null;
}

export function normalizeConfig(input: NormalizeInput, problems: ConfigProblem[]): Config {
  const { raw, env } = input;
  const envNumber = (name: string, fallback: number): number => {
    const text = env[name];
    if (text === undefined || text.trim() === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) {
      problems.push({ path: `environment ${name}`, message: `expected a positive number, got "${text}"` });
      return fallback;
    }
    return value;
  };
  const envBool = (name: string): boolean | undefined => {
    const text = env[name]?.trim().toLowerCase();
    if (text === undefined || text === '') return undefined;
    return ['1', 'true', 'yes', 'on'].includes(text);
  };

  const deployments = normalizeDeployments(raw.model_list ?? [], input.unresolvedModelList, raw.litellm_settings?.drop_params ?? false);
  const modelGroups = [...new Set(deployments.map((d) => d.modelName))];
  const general = raw.general_settings ?? {};
  const litellm = raw.litellm_settings ?? {};
  const routerRaw = raw.router_settings ?? {};

  const router: RouterSettings = {
    strategy: routerRaw.routing_strategy ?? CONFIG_DEFAULTS.routingStrategy,
    latencyBuffer: routerRaw.routing_strategy_args?.lowest_latency_buffer ?? CONFIG_DEFAULTS.lowestLatencyBuffer,
    numRetries: routerRaw.num_retries ?? litellm.num_retries ?? CONFIG_DEFAULTS.numRetries,
    timeoutMs: seconds(routerRaw.timeout ?? litellm.request_timeout ?? CONFIG_DEFAULTS.requestTimeoutSeconds),
    fallbacks: fallbackMap(routerRaw.fallbacks ?? litellm.fallbacks),
    contextWindowFallbacks: fallbackMap(routerRaw.context_window_fallbacks ?? litellm.context_window_fallbacks),
    contentPolicyFallbacks: fallbackMap(routerRaw.content_policy_fallbacks ?? litellm.content_policy_fallbacks),
    defaultFallbacks: Object.freeze([...(routerRaw.default_fallbacks ?? litellm.default_fallbacks ?? [])]),
    allowedFails: routerRaw.allowed_fails ?? CONFIG_DEFAULTS.allowedFails,
    cooldownMs: seconds(routerRaw.cooldown_time ?? CONFIG_DEFAULTS.cooldownSeconds),
    maxRetryAfterMs: seconds(routerRaw.retry_after ?? CONFIG_DEFAULTS.maxRetryAfterSeconds),
    healthCheckRouting: routerRaw.enable_health_check_routing ?? false,
  };

  const health: HealthSettings = {
    backgroundChecks: general.background_health_checks ?? false,
    intervalMs: seconds(general.health_check_interval ?? CONFIG_DEFAULTS.healthCheckIntervalSeconds),
    details: general.health_check_details ?? CONFIG_DEFAULTS.healthCheckDetails,
    shared: envBool('USE_SHARED_HEALTH_CHECK') ?? general.use_shared_health_check ?? false,
    sharedResultsTtlMs: seconds(envNumber('DEFAULT_SHARED_HEALTH_CHECK_TTL', CONFIG_DEFAULTS.sharedHealthCheckTtlSeconds)),
    sharedLockTtlMs: seconds(envNumber('DEFAULT_SHARED_HEALTH_CHECK_LOCK_TTL', CONFIG_DEFAULTS.sharedHealthCheckLockTtlSeconds)),
    probeTimeoutMs: seconds(envNumber('HEALTH_CHECK_TIMEOUT_SECONDS', CONFIG_DEFAULTS.healthCheckTimeoutSeconds)),
    probeMaxTokens: Math.round(envNumber('BACKGROUND_HEALTH_CHECK_MAX_TOKENS', CONFIG_DEFAULTS.healthCheckMaxTokens)),
  };

  const masterKey = nonEmpty(env.LITELLM_MASTER_KEY) ?? nonEmpty(general.master_key);

  return deepFreeze({
    source: input.source,
    deployments,
    modelGroups,
    masterKey,
    maxRequestBytes: Math.round((general.max_request_size_mb ?? CONFIG_DEFAULTS.maxRequestSizeMb) * 1024 * 1024),
    maxResponseBytes: Math.round((general.max_response_size_mb ?? CONFIG_DEFAULTS.maxResponseSizeMb) * 1024 * 1024),
    metricsRequireAuth: general.require_auth_for_metrics_endpoint ?? false,
    router,
    health,
    redis: redisSettings(raw, env, problems),
    responseStore: {
      ttlMs: seconds(general.response_store_ttl ?? CONFIG_DEFAULTS.responseStoreTtlSeconds),
      maxMemoryBytes: Math.round((general.response_store_max_mb ?? CONFIG_DEFAULTS.responseStoreMaxMb) * 1024 * 1024),
    },
    cache: cacheSettings(raw, general),
    database: databaseSettings(env, general),
    environment: { ...env },
  });
}

const CACHE_TYPES: Readonly<Record<string, 'redis' | 'local'>> = { redis: 'redis', local: 'local', 'in-memory': 'local', memory: 'local' };
const DEFAULT_CACHE_CALL_TYPES = ['completion', 'acompletion', 'text_completion', 'atext_completion', 'embedding', 'aembedding'];

/** `litellm_settings.cache: true`; a type Switchyard does not implement caches nothing (load warns). */
function cacheSettings(raw: RawConfig, general: NonNullable<RawConfig['general_settings']>): CacheSettings | undefined {
  const settings = raw.litellm_settings;
  if (settings?.cache !== true) return undefined;
  const params = settings.cache_params ?? {};
  const type = CACHE_TYPES[params.type ?? 'local'];
  if (type === undefined) return undefined;
  return {
    type,
    ttlMs: seconds(params.ttl ?? CONFIG_DEFAULTS.cacheTtlSeconds),
    callTypes: new Set(params.supported_call_types ?? DEFAULT_CACHE_CALL_TYPES),
    defaultOff: params.mode === 'default_off',
    maxMemoryBytes: Math.round((general.cache_max_memory_mb ?? CONFIG_DEFAULTS.cacheMaxMemoryMb) * 1024 * 1024),
    maxEntryBytes: Math.round((general.cache_max_entry_kb ?? CONFIG_DEFAULTS.cacheMaxEntryKb) * 1024),
  };
}

function normalizeDeployments(list: RawDeployment[], unresolved: unknown[], dropParams: boolean): Deployment[] {
  const seen = new Map<string, number>();
  return list.map((entry, index) => {
    const p = entry.litellm_params;
    const { provider, model } = splitProviderModel(p.model);
    const defaults: Record<string, unknown> = {};
    for (const key of SAMPLING_DEFAULT_KEYS) if (p[key] !== undefined) defaults[key] = p[key];
    const params: DeploymentParams = {
      apiKey: nonEmpty(p.api_key),
      apiBase: nonEmpty(p.api_base)?.replace(/\/+$/, ''),
      apiVersion: p.api_version,
      organization: p.organization,
      timeoutMs: p.timeout === undefined ? undefined : seconds(p.timeout),
      streamTimeoutMs: p.stream_timeout === undefined ? undefined : seconds(p.stream_timeout),
      maxRetries: p.max_retries,
      rpm: p.rpm,
      tpm: p.tpm,
      weight: p.weight,
      order: p.order,
      mockResponse: p.mock_response,
      dropParams: p.drop_params ?? dropParams,
      additionalDropParams: [...(p.additional_drop_params ?? [])],
      extraHeaders: { ...(p.extra_headers ?? {}) },
      vertexProject: nonEmpty(p.vertex_project),
      vertexLocation: nonEmpty(p.vertex_location),
      vertexCredentials: typeof p.vertex_credentials === 'string' ? nonEmpty(p.vertex_credentials) : p.vertex_credentials,
      defaults,
      ...awsParams(p),
    };
    const info = entry.model_info ?? {};
    let id = info.id;
    if (id === undefined) {
      // Hash what the user wrote (before os.environ/ resolution): same entry, same id, every restart.
      const base = stableHash({ model_name: entry.model_name, litellm_params: (unresolved[index] as { litellm_params?: unknown } | undefined)?.litellm_params ?? p });
      const count = (seen.get(base) ?? 0) + 1;
      seen.set(base, count);
      id = count === 1 ? base : `${base}-${count}`;
    }
    return {
      id,
      modelName: entry.model_name,
      provider,
      model,
      params,
      info: {
        mode: info.mode ?? CONFIG_DEFAULTS.modelMode,
        baseModel: info.base_model,
        healthCheckTimeoutMs: info.health_check_timeout === undefined ? undefined : seconds(info.health_check_timeout),
        healthCheckModel: info.health_check_model,
        healthCheckMaxTokens: info.health_check_max_tokens,
        disableBackgroundHealthCheck: info.disable_background_health_check ?? false,
        declared: { ...priceParams(p), ...info },
      },
      index,
    };
  });
}

/** Spend logs: `DATABASE_URL` beats `general_settings.database_url`; `disable_spend_logs` turns them off. */
function databaseSettings(env: NodeJS.ProcessEnv, general: {
  database_url?: string | undefined; disable_spend_logs?: boolean | undefined; user_api_key_cache_ttl?: number | undefined;
  proxy_budget_rescheduler_min_time?: number | undefined; disable_reset_budget?: boolean | undefined;
}): DatabaseSettings | undefined {
  const url = nonEmpty(env.DATABASE_URL) ?? nonEmpty(general.database_url);
  if (url === undefined) return undefined;
  return {
    url,
    spendLogs: general.disable_spend_logs !== true,
    keyCacheTtlMs: (general.user_api_key_cache_ttl ?? 60) * 1000,
    budgetResetIntervalMs: general.disable_reset_budget === true ? undefined : (general.proxy_budget_rescheduler_min_time ?? 60) * 1000,
  };
}

/** The prices a deployment gives in `litellm_params` (its `model_info` ones win over them). */
function priceParams(p: RawDeployment['litellm_params']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of PRICE_PARAM_KEYS) {
    const value = p[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

const PRICE_PARAM_KEYS = [
  'input_cost_per_token', 'output_cost_per_token', 'cache_read_input_token_cost', 'cache_creation_input_token_cost',
  'input_cost_per_second', 'output_cost_per_second',
] as const;

/** The AWS keys of a deployment, only when it sets any (most deployments are not on AWS). */
function awsParams(p: RawDeployment['litellm_params']): { aws?: AwsParams } {
  const aws: AwsParams = {
    accessKeyId: nonEmpty(p.aws_access_key_id),
    secretAccessKey: nonEmpty(p.aws_secret_access_key),
    sessionToken: nonEmpty(p.aws_session_token),
    regionName: nonEmpty(p.aws_region_name),
    runtimeEndpoint: nonEmpty(p.aws_bedrock_runtime_endpoint)?.replace(/\/+$/, ''),
  };
  return Object.values(aws).some((v) => v !== undefined) ? { aws } : {};
}

function redisSettings(raw: RawConfig, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): RedisSettings | undefined {
  const cache = raw.litellm_settings?.cache_params;
  const router = raw.router_settings ?? {};
  const cacheIsRedis =
    cache !== undefined &&
    (cache.type === undefined || cache.type === 'redis') &&
    (cache.host !== undefined || cache.url !== undefined || cache.redis_startup_nodes !== undefined || cache.sentinel_nodes !== undefined);
  const fromCache = cacheIsRedis ? cache : undefined;
  // Precedence, as everywhere: environment beats the file; within the file, router_settings
  // (the routing/coordination Redis) beats cache_params.
  const url = nonEmpty(env.REDIS_URL) ?? nonEmpty(router.redis_url) ?? nonEmpty(fromCache?.url);
  const host = nonEmpty(env.REDIS_HOST) ?? nonEmpty(router.redis_host) ?? nonEmpty(fromCache?.host);
  const cluster = redisNodes('REDIS_CLUSTER_NODES', env, problems) ?? nodeList(router.redis_startup_nodes) ?? nodeList(fromCache?.redis_startup_nodes);
  const sentinelNodes = redisNodes('REDIS_SENTINEL_NODES', env, problems) ?? nodeList(router.sentinel_nodes) ?? nodeList(fromCache?.sentinel_nodes);
  const serviceName = nonEmpty(env.REDIS_SERVICE_NAME) ?? nonEmpty(router.service_name) ?? nonEmpty(fromCache?.service_name);
  if (url === undefined && host === undefined && cluster === undefined && sentinelNodes === undefined) return undefined;
  if (sentinelNodes !== undefined && serviceName === undefined) {
    problems.push({ path: 'cache_params.service_name', message: 'sentinel_nodes need service_name (the name the sentinels know the primary by)' });
  }
  let port: number = CONFIG_DEFAULTS.redisPort;
  const envPort = nonEmpty(env.REDIS_PORT);
  if (envPort !== undefined) {
    if (!/^\d+$/.test(envPort)) problems.push({ path: 'environment REDIS_PORT', message: `expected a port number, got "${envPort}"` });
    else port = Number(envPort);
  } else {
    port = router.redis_port ?? fromCache?.port ?? CONFIG_DEFAULTS.redisPort;
  }
  const sentinelPassword = nonEmpty(env.REDIS_SENTINEL_PASSWORD) ?? nonEmpty(router.sentinel_password) ?? nonEmpty(fromCache?.sentinel_password);
  const caCertsFile = nonEmpty(env.REDIS_SSL_CA_CERTS) ?? nonEmpty(router.ssl_ca_certs) ?? nonEmpty(fromCache?.ssl_ca_certs);
  return {
    url,
    host: host ?? '127.0.0.1',
    port,
    username: nonEmpty(env.REDIS_USERNAME) ?? fromCache?.username,
    password: nonEmpty(env.REDIS_PASSWORD) ?? nonEmpty(router.redis_password) ?? fromCache?.password,
    tls: (env.REDIS_SSL ?? '').toLowerCase() === 'true' || fromCache?.ssl === true || url?.startsWith('rediss://') === true,
    ...(caCertsFile !== undefined ? { caCertsFile } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
    ...(sentinelNodes !== undefined && serviceName !== undefined
      ? { sentinel: { nodes: sentinelNodes, serviceName, ...(sentinelPassword !== undefined ? { password: sentinelPassword } : {}) } }
      : {}),
    namespace: cache?.namespace ?? CONFIG_DEFAULTS.redisNamespace,
  };
}

type NodeEntry = readonly [string, number] | { readonly host: string; readonly port: number };

function nodeList(entries: readonly NodeEntry[] | undefined): RedisNode[] | undefined {
  if (entries === undefined || entries.length === 0) return undefined;
  return entries.map((entry) => ('host' in entry ? { host: entry.host, port: entry.port } : { host: entry[0], port: entry[1] }));
}

/** LiteLLM's REDIS_CLUSTER_NODES / REDIS_SENTINEL_NODES: JSON, `[{"host": …, "port": …}]` or `[["host", port]]`. */
function redisNodes(name: string, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): RedisNode[] | undefined {
  const text = nonEmpty(env[name]);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error('not a list');
    const nodes = parsed.map((entry: unknown) => {
      const [h, p] = Array.isArray(entry) ? entry : [(entry as { host?: unknown } | null)?.host, (entry as { port?: unknown } | null)?.port];
      const nodePort = Number(p);
      if (typeof h !== 'string' || h === '' || !Number.isInteger(nodePort) || nodePort <= 0) throw new Error('bad entry');
      return { host: h, port: nodePort };
    });
    return nodes.length > 0 ? nodes : undefined;
  } catch {
    problems.push({ path: `environment ${name}`, message: 'expected JSON like [{"host": "10.0.0.1", "port": 6379}] or [["10.0.0.1", 26379]]' });
    return undefined;
  }
}

function fallbackMap(list: Array<Record<string, string[]>> | undefined): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const entry of list ?? []) for (const [group, targets] of Object.entries(entry)) out[group] = [...targets];
  return out;
}

function seconds(value: number): number {
  return Math.round(value * 1000);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
