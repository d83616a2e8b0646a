import type { Deployment } from '../../config/index.js';
import { GatewayError, jsonForUpstream } from '../../core/index.js';
import {
  ANTHROPIC_MESSAGE, anthropicStreamError, AnthropicToOpenAIStream, cutAtEnd, chatRequestToMessages, messageToChatCompletion, parseEventData, TOKEN_COUNT, translateEvents, wantsJsonAnswer,
  type AnthropicMessage, type AnthropicMessagesRequest, type ChatCompletion, type ChatCompletionRequest, type SseEvent, type TokenCount, type TokenCountRequest,
} from '../../protocol/index.js';
import { deploymentLabel, publicOrigin, type Answer, type CallContext, type CallLimits, type DeploymentClient, type EventStream } from '../adapter.js';
import { dropPolicy, reportDropped, withoutFields } from '../drop-params.js';
import { sendUpstream, type UpstreamRequest, type UpstreamResponse } from '../http-pool.js';
import { openEventStream, readJsonBody } from '../upstream-response.js';
import type { AnthropicTarget } from './anthropic-target.js';

/**
 * An Anthropic Messages answer (JSON or event stream) as the OpenAI chat answer the caller asked
 * for: shared by every deployment that reaches Claude through the Messages format.
 */
export async function chatAnswerFromMessages(response: UpstreamResponse, upstream: UpstreamRequest, request: ChatCompletionRequest, stream: boolean, jsonAnswer: boolean, label: string): Promise<Answer<ChatCompletion>> {
  if (!stream) {
    const message = await readJsonBody<AnthropicMessage>(response, upstream, ANTHROPIC_MESSAGE);
    return { stream: false, body: messageToChatCompletion(message, undefined, jsonAnswer) };
  }
  const translator = new AnthropicToOpenAIStream({ includeUsage: request.stream_options?.include_usage === true, label, jsonAnswer });
  return { stream: true, events: translateEvents(await openEventStream(response, upstream, 'anthropic'), translator) };
}

/** Client headers the native route forwards: the caller's protocol version and beta features. */
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

/**
 * An `anthropic/<model>` deployment. `/v1/messages` is forwarded as sent (model name swapped,
 * unknown fields and beta headers kept); the OpenAI API is translated to Messages and back.
 */
export class AnthropicClient implements DeploymentClient {
  private readonly label: string;
  readonly apiBase: string;

  constructor(
    readonly deployment: Deployment,
    private readonly target: AnthropicTarget,
    private readonly limits: CallLimits,
  ) {
    this.label = deploymentLabel(deployment);
    this.apiBase = publicOrigin(target.url);
  }

  async chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>> {
    const policy = dropPolicy(this.deployment, ctx);
    const dropped: string[] = [];
    const wanted = withoutFields({ ...this.deployment.params.defaults, ...request }, policy.alwaysDrop, dropped);
    const body = chatRequestToMessages(wanted, { model: ctx.upstreamModel ?? this.deployment.model, dropUnsupported: policy.dropUnsupported, dropped });
    reportDropped(this.deployment, ctx, dropped);
    const stream = body.stream === true;
    const jsonAnswer = wantsJsonAnswer(request.response_format);
    const upstream = this.request(body, stream, ctx, this.target.headers);
    return chatAnswerFromMessages(await sendUpstream(upstream), upstream, request, stream, jsonAnswer, this.label);
  }

  async messages(request: AnthropicMessagesRequest, ctx: CallContext): Promise<Answer<AnthropicMessage>> {
    const dropped: string[] = [];
    const wanted = withoutFields({ ...nativeDefaults(this.deployment.params.defaults), ...request }, dropPolicy(this.deployment, ctx).alwaysDrop, dropped);
    reportDropped(this.deployment, ctx, dropped);
    const body = { ...wanted, model: ctx.upstreamModel ?? this.deployment.model };
    const stream = body.stream === true;
    const upstream = this.request(body, stream, ctx, this.headersFor(ctx));
    const response = await sendUpstream(upstream);
    if (!stream) return { stream: false, body: await readJsonBody<AnthropicMessage>(response, upstream, ANTHROPIC_MESSAGE) };
    return { stream: true, events: this.raiseErrorEvents(await openEventStream(response, upstream, 'anthropic')) };
  }

  /** `/v1/messages/count_tokens` forwarded as sent (model swapped), with the caller's version and betas. */
  async countTokens(request: TokenCountRequest, ctx: CallContext, options: { beta: boolean }): Promise<TokenCount> {
    const url = new URL(`${this.target.url.href}/count_tokens`);
    if (options.beta) url.searchParams.set('beta', 'true');
    const upstream = { ...this.request({ ...request, model: ctx.upstreamModel ?? this.deployment.model }, false, ctx, this.headersFor(ctx)), url };
    return readJsonBody<TokenCount>(await sendUpstream(upstream), upstream, TOKEN_COUNT);
  }

  async completion(): Promise<never> {
    throw this.noSuchApi('text completions', '/v1/chat/completions or /v1/messages');
  }

  async embedding(): Promise<never> {
    throw this.noSuchApi('embeddings', 'an embedding model group');
  }

  private noSuchApi(what: string, instead: string): GatewayError {
    return new GatewayError('invalid_request', `model group "${this.deployment.modelName}" is an anthropic/ deployment, and Anthropic has no ${what} API; use ${instead}`, { param: 'model' });
  }

  /** The deployment's headers plus the caller's version and betas (betas from both are kept). */
  private headersFor(ctx: CallContext): Record<string, string> {
    const passed = ctx.passHeaders;
    if (passed === undefined) return this.target.headers;
    const headers = { ...this.target.headers };
    for (const name of FORWARDED_HEADERS) {
      const value = passed[name];
      if (value === undefined || value === '') continue;
      const own = headers[name];
      headers[name] = name === 'anthropic-beta' && own ? [...new Set([...own.split(','), ...value.split(',')].map((v) => v.trim()))].join(',') : value;
    }
    return headers;
  }

  /** Anthropic reports failures after the first byte as an `error` event: raise it as ours (after the events before it). */
  private async *raiseErrorEvents(events: EventStream): AsyncGenerator<SseEvent[]> {
    for await (const batch of events) {
      const { before, end } = cutAtEnd(batch, isErrorEvent);
      if (before.length > 0) yield before;
      if (end !== undefined) throw anthropicStreamError(parseEventData(end, this.label), this.label);
    }
  }

  private request(body: object, stream: boolean, ctx: CallContext, headers: Record<string, string>): UpstreamRequest {
    const params = this.deployment.params;
    const timeoutMs = stream ? (params.streamTimeoutMs ?? params.timeoutMs ?? this.limits.timeoutMs) : (params.timeoutMs ?? this.limits.timeoutMs);
    return {
      url: this.target.url, headers, body: jsonForUpstream(body, ctx.bodyBytes), signal: ctx.signal, timeoutMs, maxAnswerBytes: this.limits.maxAnswerBytes, stream, label: this.label,
    };
  }
}

/** Deployment defaults are written with OpenAI names; these are the ones Messages shares. */
export function nativeDefaults(defaults: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof defaults.temperature === 'number') out.temperature = defaults.temperature;
  if (typeof defaults.top_p === 'number') out.top_p = defaults.top_p;
  const stop = defaults.stop;
  if (typeof stop === 'string') out.stop_sequences = [stop];
  else if (Array.isArray(stop)) out.stop_sequences = stop;
  return out;
}

function isErrorEvent(event: SseEvent): boolean {
  return event.event === 'error';
}
