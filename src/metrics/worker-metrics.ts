import { LATENCY_BUCKETS, OTHER_MODEL_GROUP, OVERHEAD_BUCKETS, type MetricName } from './catalogue.js';
import { emptyDelta, type MetricsDelta, type MetricsPrimaryMessage, type MetricsWorkerMessage } from './metrics-messages.js';
import { CappedLabels } from './key-labels.js';
import { ModelGroupLabels } from './model-group-labels.js';
import { CounterTable, HistogramTable } from './series-table.js';

/** What the recorder reads from a finished request (the server's RequestContext has these fields). */
export interface RequestFacts {
  readonly startedAt: number;
  readonly modelGroup?: string;
  /** Set by the routes for every request that named a model, known or not. */
  readonly stream?: boolean;
  readonly deployment?: { readonly id: string; readonly modelName: string };
  readonly firstByteMs?: number;
  readonly overheadMs?: number;
  readonly usage?: { readonly input: number; readonly output: number; readonly cacheRead: number; readonly cacheWrite: number };
  /** The call's cost: USD, null when its deployment has no price, undefined when not priced (no usage). */
  readonly cost?: { readonly usd: number } | null;
  /** What the response cache did, and its type (set only when caching is on). */
  readonly cache?: string;
  readonly cacheType?: string;
  /** A hit: what the call that made the answer cost (null: unpriced). */
  readonly savedUsd?: number | null;
  /** The virtual key that made the request (undefined for the master key). */
  readonly caller?: { readonly keyAlias: string | null; readonly teamId: string | null; readonly teamAlias: string | null };
}

interface DeploymentRef {
  readonly id: string;
  readonly modelName: string;
}

/** The way to the primary (the worker link in production). */
export interface WorkerMetricsChannel {
  send(message: MetricsWorkerMessage, then?: () => void): void;
  /** False once the primary is gone: nobody would answer, so nobody is waited for. */
  connected?(): boolean;
}

export interface WorkerMetricsOptions {
  channel: WorkerMetricsChannel;
  modelGroups: readonly string[];
  /** The config's model group a requested name reaches (wildcard groups), if any. */
  resolveModelGroup?: (requested: string) => string | undefined;
  /** How often changes are pushed; at least once a second. */
  pushIntervalMs?: number;
  now?: () => number;
}

export type ScrapeResult = { ok: true; text: string } | { ok: false; reason: string };

/** Distinct key aliases and teams a worker labels; past these they are `other` (docs/metrics.md#cardinality). */
const KEY_ALIAS_CAP = 200;
const TEAM_CAP = 50;
/** Labels of a key without an alias, and of a key without a team. */
const UNALIASED = 'unaliased';
const NO_TEAM = 'none';

const STATUS_LABELS: string[] = [];
function statusLabel(status: number): string {
  return (STATUS_LABELS[status] ??= String(status));
}

/**
 * A worker's metrics: recorded in process on the request path (a few map look-ups and additions,
 * no allocation once a series exists), pushed to the primary as deltas at least once a second,
 * and a final push acknowledged by the primary before the worker exits. A worker that crashes
 * loses what it recorded since its last push (at most one interval).
 */
export class WorkerMetrics {
  private readonly labels: ModelGroupLabels;
  private readonly now: () => number;
  private readonly requests = new CounterTable(3);
  private readonly duration = new HistogramTable(2, LATENCY_BUCKETS);
  private readonly overhead = new HistogramTable(2, OVERHEAD_BUCKETS);
  private readonly ttft = new HistogramTable(1, LATENCY_BUCKETS);
  private readonly tokens = new CounterTable(3);
  private readonly cacheTokens = new CounterTable(3);
  private readonly spend = new CounterTable(2);
  private readonly unpriced = new CounterTable(2);
  private readonly keyRequests = new CounterTable(2);
  private readonly keySpend = new CounterTable(2);
  private readonly keyAliases = new CappedLabels(KEY_ALIAS_CAP);
  private readonly teams = new CappedLabels(TEAM_CAP);
  private readonly limitAdmissions = new CounterTable(1);
  private readonly limitDenials = new CounterTable(3);
  private readonly spendRowsWritten = new CounterTable(0);
  private readonly spendRowsDropped = new CounterTable(0);
  /** Undefined until the spend log writer reports (no database: no gauge share). */
  private spendRowsPending: number | undefined;
  private lastPushedSpendRowsPending: number | undefined;
  private readonly cacheRequests = new CounterTable(3);
  private readonly cacheStores = new CounterTable(2);
  private readonly cacheBytes = new CounterTable(2);
  private readonly cacheSaved = new CounterTable(2);
  private readonly upstream = new CounterTable(3);
  private readonly upstreamDuration = new HistogramTable(2, LATENCY_BUCKETS);
  private readonly retries = new CounterTable(2);
  private readonly fallbacks = new CounterTable(3);
  private readonly cooldowns = new CounterTable(3);
  /** This worker's router view per deployment id: 0 in service, 2 cooling down or unhealthy. */
  private readonly states = new Map<string, [string, string, number]>();
  private inFlight = 0;
  /** /metrics requests open: they are not traffic and stay out of the in-flight gauge. */
  private scrapesOpen = 0;
  private lastPushedInFlight = 0;
  /** Reads this worker's Redis connection state; undefined without Redis. */
  private redisAvailable: (() => boolean) | undefined;
  private lastPushedRedis: number | undefined;
  private statesChanged = false;
  private seq = 0;
  private scrapeId = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<string, (message: MetricsPrimaryMessage) => void>();

  constructor(private readonly options: WorkerMetricsOptions) {
    this.labels = new ModelGroupLabels(options.modelGroups, options.resolveModelGroup);
    this.now = options.now ?? (() => performance.now());
  }

  /** Starts the periodic push (unref'd: it never keeps the worker alive). */
  start(): void {
    this.timer ??= setInterval(() => this.push(), Math.min(1_000, this.options.pushIntervalMs ?? 1_000));
    this.timer.unref();
  }

  requestStarted(): void {
    this.inFlight++;
  }

  requestEnded(ctx: RequestFacts, status: number, route: string): void {
    this.inFlight--;
    // noteRequest sets `stream` for every request that named a model; unknown names are `other`.
    const group = ctx.modelGroup !== undefined ? this.labels.label(ctx.modelGroup) : ctx.stream !== undefined ? OTHER_MODEL_GROUP : '';
    this.requests.add(1, group, route, statusLabel(status));
    this.duration.observe((this.now() - ctx.startedAt) / 1000, group, route);
    if (ctx.overheadMs !== undefined) this.overhead.observe(ctx.overheadMs / 1000, group, route);
    if (ctx.firstByteMs !== undefined) this.ttft.observe(ctx.firstByteMs / 1000, group);
    if (ctx.cache !== undefined && ctx.cacheType !== undefined) {
      this.cacheRequests.add(1, group, ctx.cacheType, ctx.cache);
      if (ctx.cache === 'hit' && typeof ctx.savedUsd === 'number') this.cacheSaved.add(ctx.savedUsd, group, ctx.cacheType);
    }
    const { usage, deployment, caller } = ctx;
    if (caller !== undefined) {
      const alias = this.keyAliases.label(caller.keyAlias ?? UNALIASED);
      const team = this.teams.label(caller.teamAlias ?? caller.teamId ?? NO_TEAM);
      this.keyRequests.add(1, alias, team);
      if (ctx.cost != null) this.keySpend.add(ctx.cost.usd, alias, team);
    }
    if (usage !== undefined && deployment !== undefined) {
      this.tokens.add(usage.input, deployment.modelName, deployment.id, 'input');
      this.tokens.add(usage.output, deployment.modelName, deployment.id, 'output');
      this.cacheTokens.add(usage.cacheRead, deployment.modelName, deployment.id, 'read');
      this.cacheTokens.add(usage.cacheWrite, deployment.modelName, deployment.id, 'creation');
      const cost = ctx.cost;
      if (cost === null) this.unpriced.add(1, deployment.modelName, deployment.id);
      else if (cost !== undefined) this.spend.add(cost.usd, deployment.modelName, deployment.id);
    }
  }

  /** An answer written to the response cache (called when the write is done, maybe after its request ended). */
  cacheStored(modelGroup: string, cacheType: string, bytes: number): void {
    const group = this.labels.label(modelGroup);
    this.cacheStores.add(1, group, cacheType);
    this.cacheBytes.add(bytes, group, cacheType);
  }

  /** A RouterObserver (structurally): the router calls these synchronously; each is a few additions. */
  readonly routerObserver = {
    onAttempt: (event: { modelGroup: string; deployment: DeploymentRef; ok: boolean; failure?: string; durationMs: number }): void => {
      this.upstream.add(1, event.modelGroup, event.deployment.id, event.ok ? 'ok' : (event.failure ?? 'error'));
      this.upstreamDuration.observe(event.durationMs / 1000, event.modelGroup, event.deployment.id);
    },
    onRetry: (event: { modelGroup: string; failure: string }): void => {
      this.retries.add(1, event.modelGroup, event.failure);
    },
    onFallback: (event: { from: string; to: string; failure: string }): void => {
      this.fallbacks.add(1, event.from, event.to, event.failure);
    },
    onCooldown: (event: { deployment: DeploymentRef; reason: string }): void => {
      this.cooldowns.add(1, event.deployment.modelName, event.deployment.id, event.reason);
    },
    onDeploymentState: (event: { deployment: DeploymentRef; coolingDown: boolean; healthy: boolean }): void => {
      const { id, modelName } = event.deployment;
      this.states.set(id, [modelName, id, event.coolingDown || !event.healthy ? 2 : 0]);
      this.statesChanged = true;
    },
  };

  /** A LimitObserver (structurally): admissions and refusals at the virtual keys' limits. */
  readonly limitObserver = {
    admitted: (counting: string): void => this.limitAdmissions.add(1, counting),
    denied: (scopeKind: string, reason: string, counting: string): void => this.limitDenials.add(1, scopeKind, reason, counting),
  };

  /** A SpendWriterObserver (structurally): the spend log writer's counts. */
  readonly spendLogObserver = {
    pending: (rows: number): void => {
      // Spend logs are on: their counters exist from now, at 0, so the first dropped row shows in increase() (and alerts).
      if (this.spendRowsPending === undefined) {
        this.spendRowsWritten.start();
        this.spendRowsDropped.start();
      }
      this.spendRowsPending = rows;
    },
    written: (rows: number): void => this.spendRowsWritten.add(rows),
    dropped: (rows: number): void => this.spendRowsDropped.add(rows),
  };

  /** Marks one /metrics request open; call the returned function when its response is over. */
  holdScrape(): () => void {
    this.scrapesOpen++;
    let released = false;
    return () => {
      if (!released) this.scrapesOpen--;
      released = true;
    };
  }

  /** Asks the primary for the host's exposition text, sending this worker's changes along. */
  scrape(timeoutMs: number): Promise<ScrapeResult> {
    const id = ++this.scrapeId;
    if (this.options.channel.connected?.() === false) return Promise.resolve({ ok: false, reason: 'the primary process is gone' });
    const answer = this.await(`text:${id}`, timeoutMs);
    this.options.channel.send({ type: 'metrics-scrape', id, delta: this.takeDelta() });
    return answer.then((message) => {
      if (message?.type === 'metrics-text') return { ok: true, text: message.text };
      return { ok: false, reason: `the primary process did not answer within ${timeoutMs} ms` };
    });
  }

  /** The last push before exit: waits for the primary's acknowledgement, or the timeout. Stops the timer. */
  async flushFinal(timeoutMs: number): Promise<boolean> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const seq = ++this.seq;
    if (this.options.channel.connected?.() === false) return false;
    const acked = this.await(`ack:${seq}`, timeoutMs);
    this.options.channel.send({ type: 'metrics-push', seq, final: true, delta: this.takeDelta() });
    return (await acked) !== undefined;
  }

  /** Messages from the primary meant for the metrics (ack, text). */
  receive(message: MetricsPrimaryMessage): void {
    const key = message.type === 'metrics-ack' ? `ack:${message.seq}` : `text:${message.id}`;
    this.waiting.get(key)?.(message);
  }

  /** Pushes what changed since the last push; nothing when nothing did. */
  push(): void {
    const gaugesMoved = this.statesChanged || this.currentInFlight() !== this.lastPushedInFlight || this.redisValue() !== this.lastPushedRedis
      || this.spendRowsPending !== this.lastPushedSpendRowsPending;
    const delta = this.takeDelta();
    if (!gaugesMoved && delta.counters.length === 0 && delta.histograms.length === 0) return;
    this.options.channel.send({ type: 'metrics-push', seq: ++this.seq, final: false, delta });
  }

  /** Reports whether this worker's Redis connection is up (read at every push); call once Redis is set up. */
  watchRedis(available: () => boolean): void {
    this.redisAvailable = available;
  }

  private redisValue(): number | undefined {
    return this.redisAvailable === undefined ? undefined : this.redisAvailable() ? 1 : 0;
  }

  private currentInFlight(): number {
    return Math.max(0, this.inFlight - this.scrapesOpen);
  }

  private takeDelta(): MetricsDelta {
    const delta = emptyDelta();
    const counters: Array<[MetricName, CounterTable]> = [
      ['switchyard_requests_total', this.requests], ['switchyard_tokens_total', this.tokens],
      ['switchyard_cache_tokens_total', this.cacheTokens], ['switchyard_spend_usd_total', this.spend],
      ['switchyard_unpriced_calls_total', this.unpriced], ['switchyard_spend_log_rows_written_total', this.spendRowsWritten],
      ['switchyard_spend_log_rows_dropped_total', this.spendRowsDropped],
      ['switchyard_upstream_requests_total', this.upstream], ['switchyard_retries_total', this.retries],
      ['switchyard_fallbacks_total', this.fallbacks], ['switchyard_deployment_cooldowns_total', this.cooldowns],
      ['switchyard_cache_requests_total', this.cacheRequests], ['switchyard_cache_stores_total', this.cacheStores],
      ['switchyard_cache_stored_bytes_total', this.cacheBytes], ['switchyard_cache_saved_usd_total', this.cacheSaved],
      ['switchyard_key_requests_total', this.keyRequests], ['switchyard_key_spend_usd_total', this.keySpend],
      ['switchyard_limit_admissions_total', this.limitAdmissions], ['switchyard_limit_denials_total', this.limitDenials],
    ];
    for (const [name, table] of counters) table.drain(delta.counters, name);
    const histograms: Array<[MetricName, HistogramTable]> = [
      ['switchyard_request_duration_seconds', this.duration], ['switchyard_overhead_duration_seconds', this.overhead],
      ['switchyard_time_to_first_token_seconds', this.ttft], ['switchyard_upstream_request_duration_seconds', this.upstreamDuration],
    ];
    for (const [name, table] of histograms) table.drain(delta.histograms, name);
    const inFlight = this.currentInFlight();
    delta.gauges.push(['switchyard_in_flight_requests', [], inFlight]);
    if (this.spendRowsPending !== undefined) delta.gauges.push(['switchyard_spend_log_rows_pending', [], this.spendRowsPending]);
    this.lastPushedSpendRowsPending = this.spendRowsPending;
    for (const [group, id, value] of this.states.values()) delta.gauges.push(['switchyard_deployment_state', [group, id], value]);
    this.lastPushedInFlight = inFlight;
    const redis = this.redisValue();
    if (redis !== undefined) delta.gauges.push(['switchyard_redis_available', [], redis]);
    this.lastPushedRedis = redis;
    this.statesChanged = false;
    return delta;
  }

  private await(key: string, timeoutMs: number): Promise<MetricsPrimaryMessage | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(key, (message) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(message);
      });
    });
  }
}
