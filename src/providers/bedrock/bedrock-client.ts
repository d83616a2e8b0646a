import type { Deployment } from '../../config/index.js';
import { GatewayError, jsonForUpstream, randomId, redact, upstreamFailure } from '../../core/index.js';
import {
  ANTHROPIC_MESSAGE, AnthropicToOpenAIStream, chatRequestToMessages, messageToChatCompletion, translateEvents, wantsJsonAnswer,
  type AnthropicMessage, type AnthropicMessagesRequest, type AnswerShape, type ChatCompletion, type ChatCompletionRequest, type EmbeddingRequest, type EmbeddingResponse,
} from '../../protocol/index.js';
import { deploymentLabel, publicOrigin, type Answer, type CallContext, type CallLimits, type DeploymentClient } from '../adapter.js';
import { dropPolicy, reportDropped, withoutFields } from '../drop-params.js';
import { sendUpstream, type UpstreamRequest, type UpstreamResponse } from '../http-pool.js';
import { readJsonBody } from '../upstream-response.js';
import type * as AwsLibrariesModule from './aws-libraries.js';
import type { BedrockSigner } from './aws-libraries.js';
import { bedrockErrorFromResponse } from './bedrock-errors.js';
import { COHERE_EMBEDDINGS, cohereBody, cohereVectors, embeddingFamily, embeddingList, embeddingTexts, TITAN_EMBEDDING, titanBody } from './bedrock-embeddings.js';
import { bedrockEvents, ConverseStream, InvokeStream } from './bedrock-stream.js';
import type { BedrockTarget } from './bedrock-target.js';
import { CONVERSE_ANSWER, converseToMessage, messagesToConverse } from './converse-mapping.js';

/** Claude's Messages body on Bedrock names the API version in the body instead of a header. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';
/** Messages fields Bedrock's Claude refuses ("extraneous key") or takes elsewhere (the URL says model and stream). */
const NOT_IN_INVOKE_BODY = ['model', 'stream', 'metadata', 'service_tier'];

type Api = 'converse' | 'invoke';

/**
 * Which Bedrock API a model id goes to: `converse/…` and `invoke/…` say so (as in LiteLLM);
 * otherwise Claude models use `invoke` with Anthropic's own Messages body (so /v1/messages
 * callers keep every Claude feature: cache control, thinking, betas) and the rest use Converse,
 * Bedrock's one API for every model. An `invoke/` model that is not Claude uses Converse too.
 */
export function bedrockRoute(model: string): { api: Api; modelId: string } {
  let id = model;
  let api: Api | undefined;
  if (id.startsWith('converse/')) { api = 'converse'; id = id.slice('converse/'.length); }
  else if (id.startsWith('invoke/')) { api = 'invoke'; id = id.slice('invoke/'.length); }
  const claude = /anthropic\.claude/.test(id);
  return { api: api === 'converse' || !claude ? 'converse' : 'invoke', modelId: id };
}

type AwsLibraries = typeof AwsLibrariesModule;
let libraries: Promise<AwsLibraries> | undefined;

/** AWS's signing and event-stream packages, loaded on the first Bedrock call of a worker. */
function awsLibraries(): Promise<AwsLibraries> {
  libraries ??= import('./aws-libraries.js');
  return libraries;
}

/** A `bedrock/` deployment: every call signed with SigV4, to the runtime endpoint the config names. */
export class BedrockClient implements DeploymentClient {
  private readonly label: string;
  readonly apiBase: string;
  private signer: BedrockSigner | undefined;

  constructor(
    readonly deployment: Deployment,
    private readonly target: BedrockTarget,
    private readonly limits: CallLimits,
  ) {
    this.label = deploymentLabel(deployment);
    this.apiBase = publicOrigin(new URL(target.base));
  }

  async chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>> {
    const policy = dropPolicy(this.deployment, ctx);
    const dropped: string[] = [];
    const wanted = withoutFields({ ...this.deployment.params.defaults, ...request }, policy.alwaysDrop, dropped);
    const body = chatRequestToMessages(wanted, { model: ctx.upstreamModel ?? this.deployment.model, dropUnsupported: policy.dropUnsupported, dropped });
    const omitMaxTokens = wanted.max_tokens == null && wanted.max_completion_tokens == null;
    const answer = await this.generate(body, ctx, { dropUnsupported: policy.dropUnsupported, dropped, omitMaxTokens });
    reportDropped(this.deployment, ctx, dropped);
    const jsonAnswer = wantsJsonAnswer(request.response_format);
    if (!answer.stream) return { stream: false, body: messageToChatCompletion(answer.body, undefined, jsonAnswer) };
    const translator = new AnthropicToOpenAIStream({ includeUsage: request.stream_options?.include_usage === true, label: this.label, jsonAnswer });
    return { stream: true, events: translateEvents(answer.events, translator) };
  }

  async messages(request: AnthropicMessagesRequest, ctx: CallContext): Promise<Answer<AnthropicMessage>> {
    const policy = dropPolicy(this.deployment, ctx);
    const dropped: string[] = [];
    const wanted = withoutFields(request, policy.alwaysDrop, dropped);
    const answer = await this.generate(wanted, ctx, { dropUnsupported: policy.dropUnsupported, dropped });
    reportDropped(this.deployment, ctx, dropped);
    return answer;
  }

  async completion(): Promise<never> {
    throw new GatewayError('invalid_request', `model group "${this.deployment.modelName}" is a bedrock/ deployment, which has no text completions API here; use /v1/chat/completions or /v1/messages`, { param: 'model' });
  }

  async embedding(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const { modelId } = bedrockRoute(ctx.upstreamModel ?? this.deployment.model);
    const family = embeddingFamily(modelId);
    if (family === undefined) {
      throw new GatewayError('invalid_request', `model group "${this.deployment.modelName}": bedrock/${modelId} is not an embedding model the gateway knows (amazon.titan-embed-*, cohere.embed-*)`, { param: 'model' });
    }
    const texts = embeddingTexts(request);
    const path = `/model/${encodeURIComponent(modelId)}/invoke`;
    if (family === 'cohere') {
      const { body, response } = await this.callJson<unknown>(path, cohereBody(texts, request), ctx, COHERE_EMBEDDINGS);
      return embeddingList(cohereVectors(body) ?? [], request, modelId, tokenCount(response), this.label);
    }
    // Titan embeds one text per call: the calls go together, the answer keeps the input's order.
    const answers = await Promise.all(texts.map((text) => this.callJson<{ embedding: number[]; inputTextTokenCount?: number }>(path, titanBody(text, request), ctx, TITAN_EMBEDDING)));
    const tokens = answers.reduce((sum, a) => sum + (a.body.inputTextTokenCount ?? tokenCount(a.response)), 0);
    return embeddingList(answers.map((a) => a.body.embedding), request, modelId, tokens, this.label);
  }

  /** A Messages-shaped request to Converse or to Claude's invoke, answered in Messages shape. */
  private async generate(request: AnthropicMessagesRequest, ctx: CallContext, options: { dropUnsupported: boolean; dropped: string[]; omitMaxTokens?: boolean }): Promise<Answer<AnthropicMessage>> {
    const { api, modelId } = bedrockRoute(ctx.upstreamModel ?? this.deployment.model);
    const stream = request.stream === true;
    const model = encodeURIComponent(modelId);
    if (api === 'invoke') {
      const body: Record<string, unknown> = { anthropic_version: BEDROCK_ANTHROPIC_VERSION };
      for (const [key, value] of Object.entries(request)) if (!NOT_IN_INVOKE_BODY.includes(key)) body[key] = value;
      const betas = ctx.passHeaders?.['anthropic-beta'];
      if (betas !== undefined && betas !== '' && body.anthropic_beta === undefined) body.anthropic_beta = betas.split(',').map((b) => b.trim()).filter((b) => b !== '');
      if (!stream) return { stream: false, body: (await this.callJson<AnthropicMessage>(`/model/${model}/invoke`, body, ctx, ANTHROPIC_MESSAGE)).body };
      const { response, upstream } = await this.call(`/model/${model}/invoke-with-response-stream`, body, ctx, true);
      const { EventStreamReader } = await awsLibraries();
      return { stream: true, events: bedrockEvents(response, upstream, new EventStreamReader(), new InvokeStream(this.label)) };
    }
    const body = messagesToConverse(request, options);
    const id = `msg_bdrk_${randomId()}`;
    if (!stream) {
      const answer = await this.callJson<Record<string, unknown>>(`/model/${model}/converse`, body, ctx, CONVERSE_ANSWER);
      return { stream: false, body: converseToMessage(answer.body, modelId, id, this.label) };
    }
    const { response, upstream } = await this.call(`/model/${model}/converse-stream`, body, ctx, true);
    const { EventStreamReader } = await awsLibraries();
    return { stream: true, events: bedrockEvents(response, upstream, new EventStreamReader(), new ConverseStream(modelId, id)) };
  }

  private async callJson<T>(path: string, body: object, ctx: CallContext, shape: AnswerShape): Promise<{ body: T; response: UpstreamResponse }> {
    const { response, upstream } = await this.call(path, body, ctx, false);
    return { body: await readJsonBody<T>(response, upstream, shape), response };
  }

  /** Signs and sends one call; an error status becomes the failure it reports, a stream must be an event stream. */
  private async call(path: string, body: object, ctx: CallContext, stream: boolean): Promise<{ response: UpstreamResponse; upstream: UpstreamRequest }> {
    const { BedrockSigner } = await awsLibraries();
    this.signer ??= new BedrockSigner(this.target.region, this.target.credentials);
    const url = new URL(this.target.base + path);
    const json = jsonForUpstream(body, ctx.bodyBytes);
    const accept = stream ? 'application/vnd.amazon.eventstream' : 'application/json';
    const headers = await this.signer.sign(url, { ...this.target.headers, 'content-type': 'application/json', accept }, json);
    const params = this.deployment.params;
    const timeoutMs = stream ? (params.streamTimeoutMs ?? params.timeoutMs ?? this.limits.timeoutMs) : (params.timeoutMs ?? this.limits.timeoutMs);
    const upstream: UpstreamRequest = { url, headers, body: json, signal: ctx.signal, timeoutMs, maxAnswerBytes: this.limits.maxAnswerBytes, stream, label: this.label };
    const response = await sendUpstream(upstream);
    if (response.statusCode >= 400) throw await bedrockErrorFromResponse(response, this.label);
    if (stream) {
      const type = String(response.headers['content-type'] ?? '');
      if (!type.includes('application/vnd.amazon.eventstream')) {
        const text = await response.text().catch(() => '');
        throw upstreamFailure('upstream_invalid_response', `${this.label} was asked to stream but answered ${type || 'without a content type'}: ${redact(text.slice(0, 200))}`);
      }
    }
    return { response, upstream };
  }
}

/** Bedrock reports an invoke's input tokens in a response header. */
function tokenCount(response: UpstreamResponse): number {
  const value = Number(response.headers['x-amzn-bedrock-input-token-count']);
  return Number.isFinite(value) ? value : 0;
}
