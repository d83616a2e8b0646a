/**
 * Every metric Switchyard exposes, in one table: name, type, help, label names, buckets, who
 * records it and how the primary combines what many worker processes (past and present) recorded.
 * docs/metrics.md describes the same table for people; a unit test keeps the two in step.
 *
 * Combine rules:
 * - `ever-sum`: counters and histograms. The sum over every worker that ever lived on this host:
 *   an exited worker's totals stay, so a total never goes down (Prometheus would read a drop as a
 *   counter reset and `rate()` would spike).
 * - `live-sum` / `live-max` / `live-min` / `most-recent`: gauges. Only live workers take part; a
 *   worker's share disappears the moment it exits (a dead worker's in-flight count must not linger).
 * - `outage-share`: `switchyard_deployment_state`. Each live worker's router says 0 (in service)
 *   or 2 (cooling down / unhealthy) for a deployment; 0 when none says 2, 2 when every live worker
 *   does, 1 (partial) in between. The primary's own health verdict, when it has one, raises it.
 * - `primary`: the primary's own value (it sees the supervisor and the health checks).
 *
 * Label rules: every label value comes from a bounded set the config or the code defines (model
 * groups, deployment ids, route patterns, status codes, reasons). A requested model name that is
 * not a model group of the config is labelled `other`; no key, header, body or other user input
 * ever becomes a label. Virtual keys' aliases and teams (set by admins through the key API) are
 * labels only up to a cap per worker (200 aliases, 50 teams); past it they are `other`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type CombineRule = 'ever-sum' | 'live-sum' | 'live-max' | 'live-min' | 'most-recent' | 'outage-share' | 'primary';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
  readonly combine: CombineRule;
  /** `worker`: recorded in each worker (or from its pongs) and combined; `primary`: the primary's alone. */
  readonly source: 'worker' | 'primary';
}

/** Seconds: from a fast cached answer to a long generation. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
/** Seconds: the gateway's own share of a request is normally well under a millisecond. */
export const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;

/** Requests: a recycle's overshoot is about one boot's worth of one worker's traffic. */
export const OVERSHOOT_BUCKETS = [0, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Model group label for requests that named a model the config does not have. */
export const OTHER_MODEL_GROUP = 'other';

export const METRICS = [
  // Client requests (worker).
  { name: 'switchyard_requests_total', type: 'counter', help: 'Client requests answered, by model group, route pattern and HTTP status code.', labels: ['model_group', 'route', 'status_code'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_request_duration_seconds', type: 'histogram', help: 'Time from a request\'s arrival to the end of its response (the whole stream for streams).', labels: ['model_group', 'route'], buckets: LATENCY_BUCKETS, combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_overhead_duration_seconds', type: 'histogram', help: 'The gateway\'s own time per request: duration to the response head minus time spent waiting on upstreams.', labels: ['model_group', 'route'], buckets: OVERHEAD_BUCKETS, combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_time_to_first_token_seconds', type: 'histogram', help: 'Streams: time from the request\'s arrival to the first upstream event reaching the client.', labels: ['model_group'], buckets: LATENCY_BUCKETS, combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_in_flight_requests', type: 'gauge', help: 'Requests being handled now (scrapes of /metrics left out).', labels: [], combine: 'live-sum', source: 'worker' },
  { name: 'switchyard_tokens_total', type: 'counter', help: 'Tokens reported by upstreams, by model group, deployment and direction (input or output).', labels: ['model_group', 'deployment', 'direction'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_cache_tokens_total', type: 'counter', help: 'Input tokens upstreams reported as read from or written to their prompt cache (kind: read, creation); part of the input tokens, priced at their own rates.', labels: ['model_group', 'deployment', 'kind'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_spend_usd_total', type: 'counter', help: 'Cost of the calls answered, in USD, by model group and deployment (calls without a known price add nothing here; see switchyard_unpriced_calls_total).', labels: ['model_group', 'deployment'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_unpriced_calls_total', type: 'counter', help: 'Calls that reported usage on a deployment without a known price: they have no cost.', labels: ['model_group', 'deployment'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_spend_log_rows_pending', type: 'gauge', help: 'Spend log rows waiting in the workers to be written to PostgreSQL (held while it is unreachable).', labels: [], combine: 'live-sum', source: 'worker' },
  { name: 'switchyard_spend_log_rows_written_total', type: 'counter', help: 'Spend log rows written to PostgreSQL.', labels: [], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_spend_log_rows_dropped_total', type: 'counter', help: 'Spend log rows given up: the buffer was full while PostgreSQL was unreachable, or a worker exited before it came back.', labels: [], combine: 'ever-sum', source: 'worker' },
  // Virtual keys (worker): label values capped per worker (key-labels.ts), the rest are `other`.
  { name: 'switchyard_key_requests_total', type: 'counter', help: 'Requests made with virtual keys, by key alias and team (alias, else id); at most 200 key aliases and 50 teams per worker, the rest labelled other.', labels: ['key_alias', 'team'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_key_spend_usd_total', type: 'counter', help: 'Cost of the calls made with virtual keys, in USD, by key alias and team (capped as switchyard_key_requests_total).', labels: ['key_alias', 'team'], combine: 'ever-sum', source: 'worker' },
  // Response cache (worker; litellm_settings.cache).
  { name: 'switchyard_limit_admissions_total', type: 'counter', help: 'Calls with a virtual key that has limits (rpm, tpm, max_parallel_requests, max_budget on the key, its team or its user) admitted, by counting: redis (across the cluster) or local (this worker alone: Redis down or not configured).', labels: ['counting'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_limit_denials_total', type: 'counter', help: 'Calls refused at a virtual key\'s limits, by the scope that refused (key, team, user), reason (rpm, tpm, parallel, budget: 400 budget_exceeded, budget_held: 429 while calls in flight hold the rest) and counting (redis, local).', labels: ['scope_kind', 'reason', 'counting'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_cache_requests_total', type: 'counter', help: 'Cacheable requests by model group, cache type (redis, local) and result: hit, miss, skip (no-cache).', labels: ['model_group', 'cache_type', 'result'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_cache_stores_total', type: 'counter', help: 'Answers written to the response cache, by model group and cache type.', labels: ['model_group', 'cache_type'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_cache_saved_usd_total', type: 'counter', help: 'What the calls answered from the response cache would have cost (the cost of the call that made each answer), in USD, by model group and cache type.', labels: ['model_group', 'cache_type'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_cache_stored_bytes_total', type: 'counter', help: 'Bytes written to the response cache (compressed size for Redis), by model group and cache type.', labels: ['model_group', 'cache_type'], combine: 'ever-sum', source: 'worker' },
  // Upstream attempts and routing (worker, from the router's observer).
  { name: 'switchyard_upstream_requests_total', type: 'counter', help: 'Upstream attempts by deployment and outcome (ok, or the failure kind).', labels: ['model_group', 'deployment', 'outcome'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_upstream_request_duration_seconds', type: 'histogram', help: 'Upstream attempt duration (to the first event for streams), failures included.', labels: ['model_group', 'deployment'], buckets: LATENCY_BUCKETS, combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_retries_total', type: 'counter', help: 'Retries within a model group, by the failure kind that caused them.', labels: ['model_group', 'reason'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_fallbacks_total', type: 'counter', help: 'Fallbacks from one model group to another, by the failure kind that caused them.', labels: ['model_group', 'fallback_model_group', 'reason'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_deployment_cooldowns_total', type: 'counter', help: 'Cooldowns begun, by deployment and reason (rate_limited, failures, shared: announced by another host).', labels: ['model_group', 'deployment', 'reason'], combine: 'ever-sum', source: 'worker' },
  { name: 'switchyard_deployment_state', type: 'gauge', help: 'Deployment state: 0 in service, 1 partial outage (some workers route around it), 2 outage.', labels: ['model_group', 'deployment'], combine: 'outage-share', source: 'worker' },
  // Health checks (primary: one schedule per host).
  { name: 'switchyard_health_checks_total', type: 'counter', help: 'Background health checks by deployment and result (healthy, unhealthy).', labels: ['model_group', 'deployment', 'result'], combine: 'primary', source: 'primary' },
  { name: 'switchyard_health_check_duration_seconds', type: 'histogram', help: 'Background health check duration.', labels: ['model_group', 'deployment'], buckets: LATENCY_BUCKETS, combine: 'primary', source: 'primary' },
  // Workers (primary, from the supervisor and the workers' pongs).
  { name: 'switchyard_worker_restarts_total', type: 'counter', help: 'Workers replaced, by reason: max_requests, memory, reload, hung, crash.', labels: ['reason'], combine: 'primary', source: 'primary' },
  { name: 'switchyard_drain_ended_requests_total', type: 'counter', help: 'Requests a draining worker still held at its deadline and ended, by drain reason (max_requests, memory, reload: --recycle_drain_timeout; shutdown: --graceful_timeout).', labels: ['reason'], combine: 'primary', source: 'primary' },
  { name: 'switchyard_recycle_overshoot_requests', type: 'histogram', help: 'Requests a worker recycled for max_requests served past its limit before it stopped taking new ones (the wait for its turn and its replacement\'s boot).', labels: [], buckets: OVERSHOOT_BUCKETS, combine: 'primary', source: 'primary' },
  { name: 'switchyard_workers', type: 'gauge', help: 'Worker processes by state (booting, ready, draining).', labels: ['state'], combine: 'primary', source: 'primary' },
  { name: 'switchyard_worker_resident_memory_bytes', type: 'gauge', help: 'Resident memory of the worker in each slot (the larger one while a slot is being recycled).', labels: ['slot'], combine: 'live-max', source: 'worker' },
  { name: 'switchyard_worker_event_loop_lag_seconds', type: 'gauge', help: 'Longest event-loop delay of the worker in each slot over its last ping interval.', labels: ['slot'], combine: 'live-max', source: 'worker' },
  // Redis (worker: each worker's router connection, when Redis is configured).
  { name: 'switchyard_redis_available', type: 'gauge', help: 'Redis (cooldowns and state shared across hosts) reachable: 1 while every live worker\'s connection is up, 0 while any worker works locally without it. No series without Redis in the config.', labels: [], combine: 'live-min', source: 'worker' },
  { name: 'switchyard_build_info', type: 'gauge', help: 'Always 1; the version as a label.', labels: ['version'], combine: 'primary', source: 'primary' },
] as const satisfies readonly MetricSpec[];

export type MetricName = (typeof METRICS)[number]['name'];

export const METRICS_BY_NAME: ReadonlyMap<string, MetricSpec> = new Map(METRICS.map((spec) => [spec.name, spec]));

export function metricSpec(name: MetricName): MetricSpec {
  return METRICS_BY_NAME.get(name) as MetricSpec;
}
