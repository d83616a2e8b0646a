import type { Config, Deployment } from '../config/index.js';
import { GatewayError, systemClock, systemRandom, type CancelSignal, type Clock, type Logger, type Random } from '../core/index.js';
import {
  NO_GATEWAY_OPTIONS,
  type AnthropicMessage, type AnthropicMessagesRequest, type ChatCompletion, type ChatCompletionRequest, type Completion, type CompletionRequest,
  type EmbeddingRequest, type EmbeddingResponse, type GatewayOptions, type ResponsesRequest, type TokenCount, type TokenCountRequest,
} from '../protocol/index.js';
import {
  answerCountTokens, answerMessages, answerResponses, mockClientFor, type Answer, type CallContext, type DeploymentClient, type PreviousResponse,
  type ResponsesAnswer,
} from '../providers/index.js';
import type { RedisConnection } from '../redis/index.js';
import { answerTokens, eventTokens, isStreamAnswer } from './answer-usage.js';
import type { CountedFailure } from './cooldowns.js';
import { pickDeployment, type NoPick, type PickResult } from './deployment-picker.js';
import { DeploymentWatch, type DeploymentState } from './deployment-watch.js';
import { classifyFailure, countsAgainstDeployment, isRetryable, type FailureKind } from './failure-kind.js';
import { FallbackPlan } from './fallback-plan.js';
import { ModelGroupResolver, type ResolvedModelGroup } from './model-group-resolver.js';
import { createMember, recordLatency, type Member } from './group-member.js';
import { chatRequestTokens, completionRequestTokens, embeddingRequestTokens, messagesRequestTokens, responsesRequestTokens } from './request-tokens.js';
import { parseRetryAfter, retryDelayMs } from './retry-policy.js';
import { NO_OBSERVER, type RouterObserver } from './router-observer.js';
import { STRATEGIES, type MemberView, type Strategy } from './strategies/index.js';
import { peekFirstEvent, replayStream, type StreamWatch } from './stream-peek.js';
import { clientForRequest } from './upstream-model-client.js';
import { UsageCounter, type Usage } from './usage-counter.js';

/** What the server gets back: the answer and how it was obtained (for headers, logs, metrics). */
export interface Routed<T> {
  answer: T;
  deployment: Deployment;
  /** Upstream calls made, this one included. */
  attempts: number;
  /** Attempts that repeated a failed one within a model group. */
  retries: number;
  /** Fallback groups tried after the one asked for. */
  fallbacks: number;
  /** Model group that answered when it differs from the one asked for. */
  fallbackGroup?: string;
  /** Scheme, host and port of the upstream that answered (DeploymentClient.apiBase). */
  apiBase?: string;
  /** Milliseconds spent on upstream calls and waits between them (to the first event, for streams). */
  upstreamMs: number;
}

/** Filled in while a request is routed, so that a failure can still say what was tried. */
export interface RouteTrace {
  attempts: number;
  retries: number;
  fallbacks: number;
  upstreamMs: number;
}

export function newRouteTrace(): RouteTrace {
  return { attempts: 0, retries: 0, fallbacks: 0, upstreamMs: 0 };
}

export interface RouterOptions {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  observer?: RouterObserver;
  /** Shares cooldowns (and usage, for usage-based routing) with other hosts. */
  redis?: RedisConnection;
  syncIntervalMs?: number;
}

interface ModelGroup {
  readonly name: string;
  readonly members: Member[];
}

interface Job<T> {
  readonly modelGroup: string;
  readonly stream: boolean;
  /** Input tokens, with usage-based routing only. */
  readonly tokens: number | undefined;
  readonly ctx: CallContext;
  readonly trace: RouteTrace;
  /** What the request asked of the gateway (per-request retries, fallbacks, mock answer). */
  readonly options: GatewayOptions;
  /** A deployment id to try first (a follow-up to an answer only that deployment keeps). */
  readonly pin?: string;
  call(client: DeploymentClient): Promise<T>;
}

/**
 * Picks a deployment of the requested model group and calls it: strategies, `order` tiers,
 * retries with back-off, fallbacks to other groups, cooldowns (shared through Redis when
 * configured) and health-aware exclusion. Selection itself is pure (deployment-picker.ts); this
 * class runs the attempts and feeds what they teach back into the next choice.
 */
export class Router {
  private successor: Router | undefined;
  private readonly groups = new Map<string, ModelGroup>();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly resolver: ModelGroupResolver;
  private readonly observer: RouterObserver;
  private readonly strategy: Strategy;
  private readonly usage: UsageCounter | undefined;
  private readonly watch: DeploymentWatch;
  private readonly view: MemberView;

  constructor(readonly config: Config, clients: readonly DeploymentClient[], options: RouterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.observer = options.observer ?? NO_OBSERVER;
    this.strategy = STRATEGIES[config.router.strategy];
    this.usage = config.router.strategy === 'usage-based-routing-v2' ? new UsageCounter(this.clock) : undefined;
    for (const client of clients) {
      const member = createMember(client);
      const group = this.groups.get(client.deployment.modelName);
      if (group) group.members.push(member);
      else this.groups.set(client.deployment.modelName, { name: client.deployment.modelName, members: [member] });
    }
    this.resolver = new ModelGroupResolver(this.groups.keys());
    this.watch = new DeploymentWatch({
      settings: config.router,
      clock: this.clock,
      logger: options.logger,
      observer: this.observer,
      groups: [...this.groups.values()].map((g) => g.members),
      redis: options.redis,
      usage: this.usage,
      syncIntervalMs: options.syncIntervalMs,
    });
    const { watch, usage } = this;
    this.view = {
      isCoolingDown: (member) => watch.isCoolingDown(member.deployment.id),
      isHealthy: (member) => watch.isHealthy(member.deployment.id),
      usage: usage === undefined ? () => ZERO_USAGE : (member, minute) => usage.usage(member.deployment.id, minute),
    };
    const unknown = unknownFallbackGroups(config.router, this.groups);
    if (unknown.length > 0) options.logger?.warn({ model_groups: unknown }, 'fallbacks name model groups that do not exist; they are skipped');
  }

  modelGroups(): string[] {
    return [...this.groups.keys()];
  }

  hasModelGroup(name: string): boolean {
    return this.resolver.resolve(name) !== undefined;
  }

  chat(request: ChatCompletionRequest, ctx: CallContext, trace = newRouteTrace(), options: GatewayOptions = NO_GATEWAY_OPTIONS): Promise<Routed<Answer<ChatCompletion>>> {
    return this.route({
      modelGroup: request.model, stream: request.stream === true, ctx, trace, options,
      tokens: this.usage === undefined ? undefined : chatRequestTokens(request),
      call: (client) => client.chat(request, ctx),
    });
  }

  completion(request: CompletionRequest, ctx: CallContext, trace = newRouteTrace(), options: GatewayOptions = NO_GATEWAY_OPTIONS): Promise<Routed<Answer<Completion>>> {
    return this.route({
      modelGroup: request.model, stream: request.stream === true, ctx, trace, options,
      tokens: this.usage === undefined ? undefined : completionRequestTokens(request),
      call: (client) => client.completion(request, ctx),
    });
  }

  embedding(request: EmbeddingRequest, ctx: CallContext, trace = newRouteTrace(), options: GatewayOptions = NO_GATEWAY_OPTIONS): Promise<Routed<EmbeddingResponse>> {
    return this.route({
      modelGroup: request.model, stream: false, ctx, trace, options,
      tokens: this.usage === undefined ? undefined : embeddingRequestTokens(request),
      call: (client) => client.embedding(request, ctx),
    });
  }

  /** Anthropic Messages: native on `anthropic/` deployments, translated through chat elsewhere. */
  messages(request: AnthropicMessagesRequest, ctx: CallContext, trace = newRouteTrace(), options: GatewayOptions = NO_GATEWAY_OPTIONS): Promise<Routed<Answer<AnthropicMessage>>> {
    return this.route({
      modelGroup: request.model, stream: request.stream === true, ctx, trace, options,
      tokens: this.usage === undefined ? undefined : messagesRequestTokens(request),
      call: (client) => answerMessages(client, request, ctx),
    });
  }

  /**
   * The Responses API: native on `openai/` and `azure/` deployments, translated through chat
   * elsewhere. A follow-up to an answer a native deployment keeps goes to that deployment first.
   */
  responses(
    request: ResponsesRequest, ctx: CallContext, trace = newRouteTrace(), previous?: PreviousResponse, options: GatewayOptions = NO_GATEWAY_OPTIONS,
  ): Promise<Routed<ResponsesAnswer>> {
    return this.route({
      modelGroup: request.model, stream: request.stream === true, ctx, trace, options,
      pin: previous?.kind === 'native' ? previous.deploymentId : undefined,
      tokens: this.usage === undefined ? undefined : responsesRequestTokens(request),
      call: (client) => answerResponses(client, request, ctx, previous),
    });
  }

  /** Anthropic's count_tokens: forwarded on `anthropic/` deployments, counted locally elsewhere. */
  countTokens(request: TokenCountRequest, ctx: CallContext, beta: boolean, trace = newRouteTrace()): Promise<Routed<TokenCount>> {
    return this.route({
      modelGroup: request.model, stream: false, ctx, trace, tokens: undefined, options: NO_GATEWAY_OPTIONS,
      call: (client) => answerCountTokens(client, request, ctx, { beta }),
    });
  }

  /**
   * One call to a given deployment, whatever group it is in (a response it keeps: read or
   * deleted there). Counted and blamed like any attempt; never retried elsewhere. Undefined
   * when the config has no such deployment (any more).
   */
  async onDeployment<T>(deploymentId: string, ctx: CallContext, call: (client: DeploymentClient) => Promise<T>, trace = newRouteTrace()): Promise<Routed<T> | undefined> {
    for (const group of this.groups.values()) {
      const member = group.members.find((m) => m.deployment.id === deploymentId);
      if (member === undefined) continue;
      const answer = await this.attempt(member, group, { modelGroup: group.name, stream: false, ctx, trace, tokens: undefined, options: NO_GATEWAY_OPTIONS, call });
      return { answer, deployment: member.deployment, attempts: trace.attempts, retries: 0, fallbacks: 0, upstreamMs: trace.upstreamMs };
    }
    return this.successor?.onDeployment(deploymentId, ctx, call, trace);
  }

  /**
   * Health as the background checks last saw it. With `enable_health_check_routing`, unhealthy
   * deployments get no traffic while their group has a healthy one.
   */
  setDeploymentHealth(id: string, healthy: boolean): void {
    this.watch.setHealth(id, healthy);
  }

  /** Every deployment's routing state, for health pages and metrics. */
  deploymentStates(): DeploymentState[] {
    return this.watch.states();
  }

  /**
   * During a reload this worker runs the old config until its replacement is ready (seconds):
   * requests for model groups that only the new config has go to `successor`, a router built from
   * it, instead of answering 404. Groups both configs have stay here.
   */
  adoptSuccessor(successor: Router): void {
    this.successor?.close();
    this.successor = successor;
  }

  /** Stops background work (shared-state rounds, cooldown timers). The Redis connection is the caller's. */
  close(): void {
    this.watch.close();
    this.successor?.close();
  }

  private async route<T>(job: Job<T>): Promise<Routed<T>> {
    const resolved = this.resolver.resolve(job.modelGroup); // exact name, else the most specific pattern
    const first = resolved && this.groups.get(resolved.group);
    if (resolved === undefined || first === undefined || first.members.length === 0) {
      if (this.successor?.hasModelGroup(job.modelGroup)) return this.successor.route(job);
      throw modelNotFound(job.modelGroup);
    }
    if (job.options.mockResponse !== undefined) return this.mocked(first, job, job.options.mockResponse);
    let group = first;
    let firstError: unknown;
    let plan: FallbackPlan | undefined;
    for (;;) {
      try {
        const { answer, member } = await this.tryGroup(group, group === first ? throughPattern(job, resolved) : job);
        const { attempts, retries, fallbacks, upstreamMs } = job.trace;
        const routed: Routed<T> = { answer, deployment: member.deployment, attempts, retries, fallbacks, upstreamMs };
        if (group !== first) routed.fallbackGroup = group.name;
        if (member.client.apiBase !== undefined) routed.apiBase = member.client.apiBase;
        return routed;
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure === 'client_closed') throw error;
        firstError ??= error;
        plan ??= new FallbackPlan(fallbackSettings(this.config.router, first.name, job.options), first.name, (name) => this.groups.has(name));
        const next = plan.next(group.name, failure);
        if (next === undefined) throw firstError;
        this.observer.onFallback?.({ from: group.name, to: next, failure });
        job.trace.fallbacks++;
        group = this.groups.get(next) as ModelGroup;
      }
    }
  }

  /**
   * A request's `mock_response`: answered as the group's first deployment would be, by the mock
   * provider, with no upstream call (no attempt, no metrics of one, nothing blamed).
   */
  private async mocked<T>(group: ModelGroup, job: Job<T>, text: string): Promise<Routed<T>> {
    const deployment = (group.members[0] as Member).deployment;
    const answer = await job.call(mockClientFor(deployment, text));
    return { answer, deployment, attempts: 0, retries: 0, fallbacks: 0, upstreamMs: 0 };
  }

  /** Attempts within one group: the first, then retries while the failures are worth one. */
  private async tryGroup<T>(group: ModelGroup, job: Job<T>): Promise<{ answer: T; member: Member }> {
    const attempts = new Map<Member, number>();
    let last: { member: Member; error: unknown; failure: FailureKind } | undefined;
    for (let retry = 0; ; retry++) {
      const pick = this.pick(group, job, attempts);
      if (pick.member === undefined) throw last?.error ?? this.unavailable(group, pick.none);
      const member = pick.member;
      if (last !== undefined) {
        const delayMs = retryDelayMs({
          retry,
          sameDeployment: attempts.has(member),
          retryAfterMs: last.error instanceof GatewayError ? parseRetryAfter(last.error.headers, this.clock.now()) : undefined,
          maxRetryAfterMs: this.config.router.maxRetryAfterMs,
          random: this.random,
        });
        if (delayMs === undefined) {
          if (last.error instanceof GatewayError) refusedWaits.add(last.error);
          throw last.error;
        }
        this.observer.onRetry?.({ modelGroup: group.name, failed: last.member.deployment, failure: last.failure, retry, delayMs });
        if (delayMs > 0) await this.wait(delayMs, job);
        job.trace.retries++;
      }
      if (job.ctx.signal.aborted) throw clientClosed();
      attempts.set(member, (attempts.get(member) ?? 0) + 1);
      try {
        return { answer: await this.attempt(member, group, job), member };
      } catch (error) {
        const failure = classifyFailure(error);
        if (!isRetryable(failure) || retry >= (job.options.numRetries ?? this.config.router.numRetries)) throw error;
        last = { member, error, failure };
      }
    }
  }

  private pick<T>(group: ModelGroup, job: Job<T>, attempts: Map<Member, number>): PickResult {
    if (job.pin !== undefined && attempts.size === 0) {
      const pinned = group.members.find((m) => m.deployment.id === job.pin);
      if (pinned !== undefined && !this.watch.isCoolingDown(pinned.deployment.id)) return { member: pinned };
    }
    return pickDeployment(group.members, this.strategy, this.view, {
      random: this.random,
      now: this.clock.monotonic(),
      stream: job.stream,
      latencyBuffer: this.config.router.latencyBuffer,
      healthRouting: this.config.router.healthCheckRouting,
      attempts,
      requestTokens: job.tokens,
      minute: this.usage?.currentMinute() ?? 0,
    });
  }

  /**
   * One upstream call. A stream counts as answered once its first event has arrived (no retry
   * after that), but its outcome is reported when it ends: one that breaks or is cut short later
   * is a failed attempt, for the metrics as for cooldowns.
   */
  private async attempt<T>(member: Member, group: ModelGroup, job: Job<T>): Promise<T> {
    const started = this.clock.monotonic();
    job.trace.attempts++;
    member.inFlight++;
    this.usage?.record(member.deployment.id, 1, 0);
    let streaming = false;
    try {
      const answer = await job.call(member.client);
      if (isStreamAnswer(answer)) {
        const peeked = await peekFirstEvent(answer.events);
        const durationMs = this.clock.monotonic() - started;
        this.answered(member, job, durationMs);
        streaming = true;
        return { stream: true, events: replayStream(peeked, this.streamWatch(member, group, job, durationMs)) } as T;
      }
      const durationMs = this.clock.monotonic() - started;
      this.answered(member, job, durationMs);
      this.observer.onAttempt?.({ modelGroup: group.name, deployment: member.deployment, ok: true, durationMs });
      this.recordTokens(member, answerTokens(answer), job);
      return answer;
    } catch (error) {
      const durationMs = this.clock.monotonic() - started;
      job.trace.upstreamMs += durationMs;
      const failure = classifyFailure(error);
      if (failure !== 'client_closed') {
        this.observer.onAttempt?.({ modelGroup: group.name, deployment: member.deployment, ok: false, failure, durationMs });
        // A timeout is the slowest answer there is: latency-based routing should know.
        if (error instanceof GatewayError && error.code === 'upstream_timeout') recordLatency(member.latency, job.stream, durationMs, this.clock.monotonic());
        this.blame(member, group, failure, error);
      }
      throw error;
    } finally {
      if (!streaming) member.inFlight--;
    }
  }

  /** The upstream answered (for a stream: its first event came): its latency counts. */
  private answered<T>(member: Member, job: Job<T>, durationMs: number): void {
    job.trace.upstreamMs += durationMs;
    recordLatency(member.latency, job.stream, durationMs, this.clock.monotonic());
  }

  private blame(member: Member, group: ModelGroup, failure: FailureKind, error: unknown): void {
    if (countsAgainstDeployment(failure)) this.watch.blame(member, failure as CountedFailure, group.members.length, error);
  }

  /**
   * Follows a stream after its first event: in-flight count, usage, and its outcome: late failures
   * are reported and blamed like any other (never retried). A client that left is no failure.
   */
  private streamWatch<T>(member: Member, group: ModelGroup, job: Job<T>, durationMs: number): StreamWatch {
    let tokens: number | undefined;
    return {
      // Only usage-based routing counts a stream's tokens; the scan is not free on every event.
      onEvent: this.usage === undefined ? undefined : (event) => {
        tokens = eventTokens(event) ?? tokens;
      },
      onEnd: (error) => {
        member.inFlight--;
        this.recordTokens(member, tokens, job);
        const failure = error === undefined ? undefined : classifyFailure(error);
        const ok = failure === undefined || failure === 'client_closed';
        this.observer.onAttempt?.({ modelGroup: group.name, deployment: member.deployment, ok, failure: ok ? undefined : failure, durationMs });
        if (!ok) this.blame(member, group, failure, error);
      },
    };
  }

  private recordTokens<T>(member: Member, tokens: number | undefined, job: Job<T>): void {
    this.usage?.record(member.deployment.id, 0, Math.round(tokens ?? job.tokens ?? 0));
  }

  private unavailable(group: ModelGroup, why: NoPick): GatewayError {
    if (why === 'over_limits') {
      const seconds = Math.ceil((this.usage?.msUntilNextWindow() ?? 60_000) / 1000);
      return new GatewayError('rate_limited', `Model group \`${group.name}\` has used its rpm/tpm limits for this minute; retry in ${seconds}s.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    const soonest = Math.min(...group.members.map((m) => this.watch.cooldownRemainingMs(m.deployment.id)));
    const seconds = Math.max(1, Math.ceil(soonest / 1000));
    return new GatewayError('no_deployment_available', `No deployment of model group \`${group.name}\` is available: all ${group.members.length} are cooling down after failures; retry in ${seconds}s.`, {
      headers: { 'retry-after': String(seconds) },
    });
  }

  private async wait<T>(ms: number, job: Job<T>): Promise<void> {
    await abortableSleep(ms, job.ctx.signal);
    job.trace.upstreamMs += ms;
  }
}

/** Failures the router did not retry because the upstream asked for a wait beyond `retry_after`. */
const refusedWaits = new WeakSet<GatewayError>();

/**
 * The router gave up on this error because its upstream asked to be left alone for longer than
 * `router_settings.retry_after`: the one case where the upstream's `retry-after` is worth passing
 * on to a client (it says when trying again can help).
 */
export function isRefusedWait(error: unknown): boolean {
  return error instanceof GatewayError && refusedWaits.has(error);
}

export function modelNotFound(model: string): GatewayError {
  return new GatewayError('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model' });
}

/** A request that reached its group through a wildcard pattern: each call gets the substituted model. */
function throughPattern<T>(job: Job<T>, resolved: ResolvedModelGroup): Job<T> {
  if (resolved.segments.length === 0) return job;
  return { ...job, call: (client) => job.call(clientForRequest(client, resolved, job.modelGroup)) };
}

/** The fallback lists for this request: its own `fallbacks` replace the group's; `disable_fallbacks` empties them. */
function fallbackSettings(settings: Config['router'], group: string, options: GatewayOptions): Config['router'] {
  if (options.disableFallbacks) return { ...settings, fallbacks: {}, contextWindowFallbacks: {}, contentPolicyFallbacks: {}, defaultFallbacks: [] };
  if (options.fallbacks === undefined) return settings;
  return { ...settings, fallbacks: { ...settings.fallbacks, [group]: options.fallbacks } };
}

function clientClosed(): GatewayError {
  return new GatewayError('client_closed_request', 'the client closed the request');
}

function abortableSleep(ms: number, signal: CancelSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(clientClosed());
    const onAbort = () => {
      clearTimeout(timer);
      reject(clientClosed());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const ZERO_USAGE: Usage = Object.freeze({ requests: 0, tokens: 0 });

function unknownFallbackGroups(settings: Config['router'], groups: ReadonlyMap<string, unknown>): string[] {
  const { fallbacks, contextWindowFallbacks, contentPolicyFallbacks, defaultFallbacks } = settings;
  const named = [fallbacks, contextWindowFallbacks, contentPolicyFallbacks].flatMap((map) => Object.values(map).flat()).concat(defaultFallbacks);
  return [...new Set(named)].filter((name) => !groups.has(name));
}
