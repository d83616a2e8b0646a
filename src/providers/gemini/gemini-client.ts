import type { Deployment } from '../../config/index.js';
import { GatewayError, jsonForUpstream } from '../../core/index.js';
import { translateEvents, type ChatCompletion, type ChatCompletionRequest, type EmbeddingRequest, type EmbeddingResponse } from '../../protocol/index.js';
import { deploymentLabel, type Answer, type CallContext, type CallLimits, type DeploymentClient } from '../adapter.js';
import { dropPolicy, reportDropped, withoutFields } from '../drop-params.js';
import { sendUpstream, type UpstreamRequest, type UpstreamResponse } from '../http-pool.js';
import { openEventStream, readJsonBody } from '../upstream-response.js';
import { embeddingBody, embeddingResponse, embeddingShape, type EmbeddingApi } from './gemini-embedding.js';
import { chatToGemini } from './gemini-request.js';
import { GEMINI_RESPONSE, geminiToChatCompletion } from './gemini-response.js';
import { GeminiToOpenAIStream } from './gemini-stream.js';
import type { GeminiResponse } from './gemini-types.js';
import { googleErrorFromResponse } from './google-errors.js';

/** Where one Gemini model is reached and how calls are authorised: the Gemini API or Vertex AI. */
export interface GeminiTarget {
  /** Scheme, host and port (for `x-litellm-model-api-base`). */
  origin: string;
  /** `…/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse` (Vertex may first have to learn its project). */
  generateUrl(model: string, stream: boolean): Promise<URL>;
  /** `…:batchEmbedContents` (Gemini API) or `…:predict` (Vertex). */
  embeddingUrl(model: string): Promise<URL>;
  embeddingApi: EmbeddingApi;
  /** Content type, the deployment's extra headers, an API key: the same on every call. */
  headers: Record<string, string>;
  /** Per-call credentials (a Vertex access token, fetched or cached); absent for API keys. */
  authorize?(): Promise<Record<string, string>>;
}

/**
 * A `gemini/…` or `vertex_ai/gemini-…` deployment: the OpenAI API translated to Gemini's
 * generateContent and back (gemini-request.ts, gemini-response.ts, gemini-stream.ts).
 * `/v1/messages` reaches it through chat (messages-via-chat.ts). Google's errors are read in
 * their own shape (google-errors.ts).
 */
export class GeminiClient implements DeploymentClient {
  private readonly label: string;
  readonly apiBase: string;

  constructor(
    readonly deployment: Deployment,
    private readonly target: GeminiTarget,
    private readonly limits: CallLimits,
  ) {
    this.label = deploymentLabel(deployment);
    this.apiBase = target.origin;
  }

  async chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>> {
    const policy = dropPolicy(this.deployment, ctx);
    const dropped: string[] = [];
    const wanted = withoutFields({ ...this.deployment.params.defaults, ...request }, policy.alwaysDrop, dropped);
    const body = chatToGemini(wanted, { dropUnsupported: policy.dropUnsupported, dropped });
    reportDropped(this.deployment, ctx, dropped);
    const model = ctx.upstreamModel ?? this.deployment.model;
    const stream = request.stream === true;
    const upstream = await this.request(() => this.target.generateUrl(model, stream), body, stream, ctx);
    const response = await this.send(upstream);
    if (!stream) {
      const answer = await readJsonBody<GeminiResponse>(response, upstream, GEMINI_RESPONSE);
      return { stream: false, body: geminiToChatCompletion(answer, model, this.label) };
    }
    const translator = new GeminiToOpenAIStream({ includeUsage: request.stream_options?.include_usage === true, model, label: this.label });
    return { stream: true, events: translateEvents(await openEventStream(response, upstream, 'gemini'), translator) };
  }

  async completion(): Promise<never> {
    throw new GatewayError('invalid_request', `model group "${this.deployment.modelName}" is a ${this.deployment.provider}/ Gemini deployment, which has no text completions API; use /v1/chat/completions or /v1/messages`, { param: 'model' });
  }

  async embedding(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const model = ctx.upstreamModel ?? this.deployment.model;
    const api = this.target.embeddingApi;
    const dropped: string[] = [];
    const wanted = withoutFields(request, dropPolicy(this.deployment, ctx).alwaysDrop, dropped);
    reportDropped(this.deployment, ctx, dropped);
    const upstream = await this.request(() => this.target.embeddingUrl(model), embeddingBody(api, model, wanted), false, ctx);
    const answer = await readJsonBody<unknown>(await this.send(upstream), upstream, embeddingShape(api));
    return embeddingResponse(api, model, answer, request.encoding_format);
  }

  /** The call, with Google's error answers read in Google's shape. */
  private async send(upstream: UpstreamRequest): Promise<UpstreamResponse> {
    const response = await sendUpstream(upstream);
    if (response.statusCode >= 400) throw await googleErrorFromResponse(response, this.label);
    return response;
  }

  /** Credentials first: a URL may need the project they name. */
  private async request(urlOf: () => Promise<URL>, body: object, stream: boolean, ctx: CallContext): Promise<UpstreamRequest> {
    const params = this.deployment.params;
    const timeoutMs = stream ? (params.streamTimeoutMs ?? params.timeoutMs ?? this.limits.timeoutMs) : (params.timeoutMs ?? this.limits.timeoutMs);
    const headers = this.target.authorize === undefined ? this.target.headers : { ...this.target.headers, ...(await this.target.authorize()) };
    const url = await urlOf();
    return { url, headers, body: jsonForUpstream(body, ctx.bodyBytes), signal: ctx.signal, timeoutMs, maxAnswerBytes: this.limits.maxAnswerBytes, stream, label: this.label };
  }
}
