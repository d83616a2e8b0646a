import { z } from 'zod';

/**
 * The one schema for the config keys Switchyard implements. It is built twice from the same
 * definition: a strict copy whose `unrecognized_keys` issues become the unknown-key warning, and a
 * stripping copy that produces the data. Numbers and booleans also accept their string spelling
 * (`"300"`, `"true"`), since values often come from `os.environ/` or Helm templates.
 */

// `300`, `1_000`, `2.5`, `.5`, `1.`, `1e+06`: what Python's float() and YAML authors accept. A digit is required.
const NUMERIC = /^[-+]?(?=\.?\d)(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$/;

const num = z.preprocess((value) => {
  if (typeof value === 'string') {
    const text = value.trim();
    if (text !== '' && NUMERIC.test(text)) return Number(text.replaceAll('_', ''));
  }
  return value;
}, z.number({ error: (issue) => (issue.input === undefined ? 'is required' : `expected a number, got ${describe(issue.input)}`) }));

const nonNegative = num.pipe(z.number().min(0, 'must be 0 or more'));
const positive = num.pipe(z.number().positive('must be more than 0'));
const wholeNonNegative = num.pipe(z.number().int('must be a whole number').min(0, 'must be 0 or more'));

const bool = z.preprocess((value) => {
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(text)) return true;
    if (['false', 'no', 'off', '0', ''].includes(text)) return false;
  }
  return value;
}, z.boolean({ error: (issue) => `expected true or false, got ${describe(issue.input)}` }));

const str = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : `expected a string, got ${describe(issue.input)}`) });

/** Strings where YAML may hand us a number (ids, versions, ports written as text). */
const stringish = z.union([str, z.number().transform(String)], { error: (issue) => `expected a string, got ${describe(issue.input)}` });

const stringList = z.array(str);

/** `[{group: [other, …]}, …]` as LiteLLM writes fallbacks. */
const fallbackList = z.array(z.record(z.string(), z.union([stringList, str.transform((s) => [s])])));

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

export const ROUTING_STRATEGIES = ['simple-shuffle', 'least-busy', 'latency-based-routing', 'usage-based-routing-v2'] as const;

type ObjectFactory = typeof z.strictObject;

function build(object: ObjectFactory) {
  const litellmParams = object({
    model: str.min(1, 'must not be empty'),
    api_key: str.optional(),
    api_base: str.optional(),
    api_version: stringish.optional(),
    organization: str.optional(),
    timeout: positive.optional(),
    stream_timeout: positive.optional(),
    max_retries: wholeNonNegative.optional(),
    rpm: nonNegative.optional(),
    tpm: nonNegative.optional(),
    weight: nonNegative.optional(),
    order: wholeNonNegative.optional(),
    mock_response: str.optional(),
    extra_headers: z.record(z.string(), stringish).optional(),
    litellm_credential_name: str.optional(),
    // A parameter this deployment does not take is dropped (logged at debug) rather than refused.
    drop_params: bool.optional(),
    // Fields never sent to this deployment, whoever sets them.
    additional_drop_params: stringList.optional(),
    // Prices (USD) a deployment declares for itself; shown by /model/info.
    input_cost_per_token: nonNegative.optional(),
    output_cost_per_token: nonNegative.optional(),
    cache_read_input_token_cost: nonNegative.optional(),
    cache_creation_input_token_cost: nonNegative.optional(),
    input_cost_per_second: nonNegative.optional(),
    output_cost_per_second: nonNegative.optional(),
    // Default sampling parameters: applied to a request that does not set them.
    temperature: num.optional(),
    top_p: num.optional(),
    max_tokens: wholeNonNegative.optional(),
    max_completion_tokens: wholeNonNegative.optional(),
    frequency_penalty: num.optional(),
    presence_penalty: num.optional(),
    seed: num.optional(),
    stop: z.union([str, stringList]).optional(),
    // AWS Bedrock (SigV4): keys, region and a custom runtime endpoint; the AWS_* variables otherwise.
    aws_access_key_id: str.optional(),
    aws_secret_access_key: str.optional(),
    aws_session_token: str.optional(),
    aws_region_name: str.optional(),
    aws_bedrock_runtime_endpoint: str.optional(),
    // Google Vertex AI: the project and region, and a service account (a JSON file's path, its
    // JSON text, or the JSON written as a mapping); without it Application Default Credentials.
    vertex_project: stringish.optional(),
    vertex_location: stringish.optional(),
    vertex_credentials: z.union([str, z.record(z.string(), z.unknown())]).optional(),
  });

  // model_info is free-form metadata in LiteLLM (costs, context sizes, descriptions): keys we do
  // not interpret are kept silently rather than warned about.
  const modelInfo = z.looseObject({
    id: stringish.optional(),
    mode: str.optional(),
    base_model: str.optional(),
    health_check_timeout: positive.optional(),
    health_check_model: str.optional(),
    health_check_max_tokens: wholeNonNegative.pipe(z.number().min(1, 'must be at least 1')).optional(),
    disable_background_health_check: bool.optional(),
    // Price overrides (USD): they win over the price library (src/cost/).
    input_cost_per_token: nonNegative.optional(),
    output_cost_per_token: nonNegative.optional(),
    cache_read_input_token_cost: nonNegative.optional(),
    cache_creation_input_token_cost: nonNegative.optional(),
    input_cost_per_second: nonNegative.optional(),
    output_cost_per_second: nonNegative.optional(),
  });

  // A credential is a set of litellm_params that deployments pick by name (credential-fill.ts).
  const credential = object({
    credential_name: str.min(1, 'must not be empty'),
    credential_values: litellmParams.omit({ model: true, litellm_credential_name: true }).partial(),
    credential_info: z.looseObject({}).optional(),
  });

  const deployment = object({
    model_name: stringish.pipe(z.string().min(1, 'must not be empty')),
    litellm_params: litellmParams,
    model_info: modelInfo.optional(),
  });

  // LiteLLM's names for a Redis Cluster, a Sentinel-managed primary and a TLS CA (cache_params and router_settings alike).
  const redisNode = z.union([z.tuple([str, num]), z.object({ host: str, port: num })]);
  const redisTopology = {
    redis_startup_nodes: z.array(redisNode).optional(),
    sentinel_nodes: z.array(redisNode).optional(),
    service_name: str.optional(),
    sentinel_password: str.optional(),
    ssl_ca_certs: str.optional(),
  };

  const cacheParams = object({
    type: str.optional(),
    host: str.optional(),
    port: num.optional(),
    password: str.optional(),
    username: str.optional(),
    ssl: bool.optional(),
    url: str.optional(),
    namespace: str.optional(),
    ttl: num.optional(),
    supported_call_types: stringList.optional(),
    mode: str.optional(),
    ...redisTopology,
  });

  const generalSettings = object({
    master_key: str.optional(),
    background_health_checks: bool.optional(),
    health_check_interval: positive.optional(),
    health_check_details: bool.optional(),
    use_shared_health_check: bool.optional(),
    max_request_size_mb: positive.optional(),
    max_response_size_mb: positive.optional(),
    require_auth_for_metrics_endpoint: bool.optional(),
    // Spend logs in PostgreSQL (DATABASE_URL wins), and LiteLLM's switch to turn them off.
    database_url: str.optional(),
    disable_spend_logs: bool.optional(),
    // Virtual keys: how long a worker uses a key it read (seconds), and the budget reset job's period.
    user_api_key_cache_ttl: positive.optional(),
    proxy_budget_rescheduler_min_time: positive.optional(),
    disable_reset_budget: bool.optional(),
    // Stored Responses API conversations (translated deployments): how long, and the in-memory cap.
    response_store_ttl: positive.optional(),
    response_store_max_mb: positive.optional(),
    // The response cache's bounds in one worker's memory (type local, or Redis down): all, and one entry.
    cache_max_memory_mb: positive.optional(),
    cache_max_entry_kb: positive.optional(),
  });

  const litellmSettings = object({
    drop_params: bool.optional(),
    cache: bool.optional(),
    cache_params: cacheParams.optional(),
    num_retries: wholeNonNegative.optional(),
    request_timeout: positive.optional(),
    fallbacks: fallbackList.optional(),
    context_window_fallbacks: fallbackList.optional(),
    content_policy_fallbacks: fallbackList.optional(),
    default_fallbacks: stringList.optional(),
  });

  const routerSettings = object({
    // LiteLLM's per-strategy knobs; the one Switchyard reads is the latency buffer.
    routing_strategy_args: object({ lowest_latency_buffer: nonNegative.optional() }).optional(),
    routing_strategy: z.enum(ROUTING_STRATEGIES, { error: (issue) => `expected one of ${ROUTING_STRATEGIES.join(', ')}, got ${describe(issue.input)}` }).optional(),
    num_retries: wholeNonNegative.optional(),
    timeout: positive.optional(),
    fallbacks: fallbackList.optional(),
    context_window_fallbacks: fallbackList.optional(),
    content_policy_fallbacks: fallbackList.optional(),
    default_fallbacks: stringList.optional(),
    allowed_fails: wholeNonNegative.optional(),
    cooldown_time: nonNegative.optional(),
    retry_after: nonNegative.optional(),
    enable_health_check_routing: bool.optional(),
    redis_host: str.optional(),
    redis_port: num.optional(),
    redis_password: str.optional(),
    redis_url: str.optional(),
    ...redisTopology,
  });

  const nullable = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

  return object({
    model_list: nullable(z.array(deployment)),
    credential_list: nullable(z.array(credential)),
    general_settings: nullable(generalSettings),
    litellm_settings: nullable(litellmSettings),
    router_settings: nullable(routerSettings),
    environment_variables: nullable(z.record(z.string(), z.union([str, z.number(), z.boolean()]).nullable())),
  });
}

export const strictConfigSchema = build(z.strictObject);
export const configSchema = build(z.object as unknown as ObjectFactory);

export type RawConfig = z.output<typeof configSchema>;
export type RawDeployment = NonNullable<RawConfig['model_list']>[number];
export type RawLitellmParams = RawDeployment['litellm_params'];
export type RawModelInfo = NonNullable<RawDeployment['model_info']>;
