import type { Deployment } from '../../config/index.js';
import { GatewayError, jsonForUpstream } from '../../core/index.js';
import {
  ANTHROPIC_MESSAGE, anthropicStreamError, chatRequestToMessages, cutAtEnd, parseEventData, wantsJsonAnswer,
  type AnthropicMessage, type AnthropicMessagesRequest, type ChatCompletion, type ChatCompletionRequest, type SseEvent,
} from '../../protocol/index.js';
import { deploymentLabel, type Answer, type CallContext, type CallLimits, type DeploymentClient, type EventStream } from '../adapter.js';
import { chatAnswerFromMessages, nativeDefaults } from '../anthropic/anthropic-client.js';
import { dropPolicy, reportDropped, withoutFields } from '../drop-params.js';
import { googleErrorFromResponse } from '../gemini/google-errors.js';
import { sendUpstream, type UpstreamRequest, type UpstreamResponse } from '../http-pool.js';
import { openEventStream, readJsonBody } from '../upstream-response.js';
import { modelSegment, type VertexEndpoint } from './vertex-target.js';

/** What Vertex wants in the body in place of the `anthropic-version` header. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/**
 * A `vertex_ai/claude-…` deployment: Claude through Vertex's `rawPredict` / `streamRawPredict`.
 * The body is an Anthropic Messages request without `model` (the URL names it) and with
 * `anthropic_version` in the body; the answer is Anthropic's own, JSON or SSE. So the OpenAI API
 * uses the same translation as `anthropic/` deployments (protocol/openai-to-anthropic.ts and
 * back), and `/v1/messages` is forwarded as sent, its beta header kept.
 */
export class VertexClaudeClient implements DeploymentClient {
  private readonly label: string;
  readonly apiBase: string;

  constructor(
    readonly deployment: Deployment,
    private readonly endpoint: VertexEndpoint,
    private readonly limits: CallLimits,
  ) {
    this.label = deploymentLabel(deployment);
    this.apiBase = endpoint.origin;
  }

  async chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>> {
    const policy = dropPolicy(this.deployment, ctx);
    const dropped: string[] = [];
    const wanted = withoutFields({ ...this.deployment.params.defaults, ...request }, policy.alwaysDrop, dropped);
    const model = ctx.upstreamModel ?? this.deployment.model;
    const body = chatRequestToMessages(wanted, { model, dropUnsupported: policy.dropUnsupported, dropped });
    reportDropped(this.deployment, ctx, dropped);
    const stream = body.stream === true;
    const jsonAnswer = wantsJsonAnswer(request.response_format);
    const upstream = await this.request(model, body, stream, ctx, {});
    return chatAnswerFromMessages(await this.send(upstream), upstream, request, stream, jsonAnswer, this.label);
  }

  async messages(request: AnthropicMessagesRequest, ctx: CallContext): Promise<Answer<AnthropicMessage>> {
    const dropped: string[] = [];
    // The deployment's sampling defaults (written with OpenAI names) as anthropic/ applies them.
    const wanted = withoutFields({ ...nativeDefaults(this.deployment.params.defaults), ...request }, dropPolicy(this.deployment, ctx).alwaysDrop, dropped);
    reportDropped(this.deployment, ctx, dropped);
    const stream = wanted.stream === true;
    const beta = ctx.passHeaders?.['anthropic-beta'];
    const upstream = await this.request(ctx.upstreamModel ?? this.deployment.model, wanted, stream, ctx, beta ? { 'anthropic-beta': beta } : {});
    const response = await this.send(upstream);
    if (!stream) return { stream: false, body: await readJsonBody<AnthropicMessage>(response, upstream, ANTHROPIC_MESSAGE) };
    return { stream: true, events: this.raiseErrorEvents(await openEventStream(response, upstream, 'anthropic')) };
  }

  async completion(): Promise<never> {
    throw this.noSuchApi('text completions', '/v1/chat/completions or /v1/messages');
  }

  async embedding(): Promise<never> {
    throw this.noSuchApi('embeddings', 'an embedding model group');
  }

  private noSuchApi(what: string, instead: string): GatewayError {
    return new GatewayError('invalid_request', `model group "${this.deployment.modelName}" is Claude on Vertex AI, which has no ${what} API; use ${instead}`, { param: 'model' });
  }

  private async *raiseErrorEvents(events: EventStream): AsyncGenerator<SseEvent[]> {
    for await (const batch of events) {
      const { before, end } = cutAtEnd(batch, (event) => event.event === 'error');
      if (before.length > 0) yield before;
      if (end !== undefined) throw anthropicStreamError(parseEventData(end, this.label), this.label);
    }
  }

  private async send(upstream: UpstreamRequest): Promise<UpstreamResponse> {
    const response = await sendUpstream(upstream);
    if (response.statusCode >= 400) throw await googleErrorFromResponse(response, this.label);
    return response;
  }

  /** The Messages body as Vertex takes it: the model in the URL, the version in the body. */
  private async request(model: string, messages: object, stream: boolean, ctx: CallContext, extra: Record<string, string>): Promise<UpstreamRequest> {
    const { model: _model, ...rest } = messages as { model?: unknown };
    const body = { ...rest, anthropic_version: VERTEX_ANTHROPIC_VERSION };
    const params = this.deployment.params;
    const timeoutMs = stream ? (params.streamTimeoutMs ?? params.timeoutMs ?? this.limits.timeoutMs) : (params.timeoutMs ?? this.limits.timeoutMs);
    // Credentials first: the URL may need the project they name.
    const headers = { ...this.endpoint.headers, ...extra, ...(await this.endpoint.tokens.authorize()) };
    const url = new URL(`${await this.endpoint.modelsUrl('anthropic')}${modelSegment(model)}:${stream ? 'streamRawPredict' : 'rawPredict'}`);
    return { url, headers, body: jsonForUpstream(body, ctx.bodyBytes), signal: ctx.signal, timeoutMs, maxAnswerBytes: this.limits.maxAnswerBytes, stream, label: this.label };
  }
}
