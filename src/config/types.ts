/** The resolved, frozen configuration every other folder reads. Built by load.ts. */

export type DeploymentMode = 'chat' | 'completion' | 'embedding' | (string & {});

export interface DeploymentParams {
  readonly apiKey?: string;
  readonly apiBase?: string;
  readonly apiVersion?: string;
  readonly organization?: string;
  readonly timeoutMs?: number;
  readonly streamTimeoutMs?: number;
  readonly maxRetries?: number;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly weight?: number;
  readonly order?: number;
  readonly mockResponse?: string;
  /** `drop_params`: the deployment's, else `litellm_settings.drop_params`, else false. */
  readonly dropParams: boolean;
  /** `additional_drop_params`: top-level request fields never sent to this deployment. */
  readonly additionalDropParams: readonly string[];
  readonly extraHeaders: Readonly<Record<string, string>>;
  /** Google Vertex AI (`vertex_ai/`): `vertex_project`, `vertex_location`, `vertex_credentials`. */
  readonly vertexProject?: string;
  readonly vertexLocation?: string;
  /** A service account: a file path or JSON text as written, or the JSON given as a mapping. */
  readonly vertexCredentials?: string | Readonly<Record<string, unknown>>;
  /** Sampling parameters applied to requests that do not set them (temperature, max_tokens, …). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** AWS settings of a `bedrock/` deployment, as written (the AWS_* variables fill the gaps). */
  readonly aws?: AwsParams;
}

export interface AwsParams {
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  readonly regionName?: string;
  readonly runtimeEndpoint?: string;
}

export interface ModelInfo {
  readonly mode: DeploymentMode;
  readonly baseModel?: string;
  readonly healthCheckTimeoutMs?: number;
  readonly healthCheckModel?: string;
  readonly healthCheckMaxTokens?: number;
  readonly disableBackgroundHealthCheck: boolean;
  /**
   * `model_info` as written (free-form in LiteLLM: context sizes, costs, `supports_*` flags), with
   * the costs a deployment gives in `litellm_params` where `model_info` has none. Read by
   * `/model/info`, which shows an allow-list of it.
   */
  readonly declared: Readonly<Record<string, unknown>>;
}

export interface Deployment {
  /** `model_info.id`, or a hash of the entry that is stable across restarts. */
  readonly id: string;
  /** The model group clients ask for (`model_name`). */
  readonly modelName: string;
  /** Provider family from the `provider/` prefix of `litellm_params.model`. */
  readonly provider: string;
  /** The upstream model name, prefix removed. */
  readonly model: string;
  readonly params: DeploymentParams;
  readonly info: ModelInfo;
  /** Position in `model_list`. */
  readonly index: number;
}

export type RoutingStrategy = 'simple-shuffle' | 'least-busy' | 'latency-based-routing' | 'usage-based-routing-v2';

export interface RouterSettings {
  readonly strategy: RoutingStrategy;
  /** Latency-based routing: deployments within (1 + buffer) × the fastest share the load. */
  readonly latencyBuffer: number;
  readonly numRetries: number;
  readonly timeoutMs: number;
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  readonly contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  readonly contentPolicyFallbacks: Readonly<Record<string, readonly string[]>>;
  readonly defaultFallbacks: readonly string[];
  readonly allowedFails: number;
  readonly cooldownMs: number;
  /** Upper bound for honouring an upstream `Retry-After`. */
  readonly maxRetryAfterMs: number;
  readonly healthCheckRouting: boolean;
}

export interface HealthSettings {
  readonly backgroundChecks: boolean;
  readonly intervalMs: number;
  readonly details: boolean;
  readonly shared: boolean;
  readonly sharedResultsTtlMs: number;
  readonly sharedLockTtlMs: number;
  readonly probeTimeoutMs: number;
  readonly probeMaxTokens: number;
}

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisSettings {
  readonly url?: string;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** PEM file of the CA that signed the server's certificate (`ssl_ca_certs`); the system's CAs without it. */
  readonly caCertsFile?: string;
  /** Redis Cluster: the startup nodes (`redis_startup_nodes`); the client learns the rest. */
  readonly cluster?: readonly RedisNode[];
  /** A Sentinel-managed primary: the sentinels and the name they know it by (`service_name`). */
  readonly sentinel?: { readonly nodes: readonly RedisNode[]; readonly serviceName: string; readonly password?: string };
  /** Key prefix, so that two clusters can share one Redis. */
  readonly namespace: string;
}

/** Stored Responses API answers of translated deployments (`store`, `previous_response_id`). */
/** Call types the response cache knows (LiteLLM's names); the ones served today are in docs/caching.md. */
export type CacheCallType = 'completion' | 'acompletion' | 'text_completion' | 'atext_completion' | 'embedding' | 'aembedding';

export interface CacheSettings {
  /** `redis` (shared, the Redis connection settings) or `local` (this worker's memory). */
  readonly type: 'redis' | 'local';
  readonly ttlMs: number;
  readonly callTypes: ReadonlySet<string>;
  /** `mode: default_off`: only requests that ask (`cache: {...}` in the body) are cached. */
  readonly defaultOff: boolean;
  readonly maxMemoryBytes: number;
  readonly maxEntryBytes: number;
}

export interface ResponseStoreSettings {
  /** How long a stored response lives (Redis and memory alike); each new turn renews its conversation. */
  readonly ttlMs: number;
  /** The cap on what one worker keeps in memory (without Redis, or while it is down). */
  readonly maxMemoryBytes: number;
}

/** PostgreSQL (spend logs now; keys and budgets later). */
export interface DatabaseSettings {
  /** A postgres:// URL; a secret (it may hold a password). */
  readonly url: string;
  /** False with `general_settings.disable_spend_logs: true`. */
  readonly spendLogs: boolean;
  /** How long a worker uses a virtual key it read before reading it again (`user_api_key_cache_ttl`, 60 s). */
  readonly keyCacheTtlMs: number;
  /** How often the budget reset job runs (`proxy_budget_rescheduler_min_time`, 60 s); undefined with `disable_reset_budget`. */
  readonly budgetResetIntervalMs: number | undefined;
}

export interface Config {
  /** The file it was read from; null for the built-in demo config text. */
  readonly source: string | null;
  readonly deployments: readonly Deployment[];
  /** Model group names in the order they first appear. */
  readonly modelGroups: readonly string[];
  readonly masterKey: string | undefined;
  readonly maxRequestBytes: number;
  /** The largest upstream answer read whole (general_settings.max_response_size_mb); bigger ones are a 502. */
  readonly maxResponseBytes: number;
  readonly metricsRequireAuth: boolean;
  readonly router: RouterSettings;
  readonly health: HealthSettings;
  readonly redis: RedisSettings | undefined;
  readonly responseStore: ResponseStoreSettings;
  /** The response cache (`litellm_settings.cache: true`); undefined when off or of a type not implemented. */
  readonly cache: CacheSettings | undefined;
  /** Set by `DATABASE_URL` or `general_settings.database_url`. */
  readonly database: DatabaseSettings | undefined;
  /**
   * The environment as it stood after `environment_variables` was applied. Other folders read
   * provider keys (OPENAI_API_KEY, …) from here, never from process.env.
   */
  readonly environment: Readonly<Record<string, string | undefined>>;
}

export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}
