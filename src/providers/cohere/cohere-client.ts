import type { Config, Deployment } from '../../config/index.js';
import { GatewayError, jsonForUpstream, registerSecret, upstreamFailure } from '../../core/index.js';
import {
  translateEvents,
  type ChatCompletion, type ChatCompletionRequest, type EmbeddingRequest, type EmbeddingResponse,
} from '../../protocol/index.js';
import { deploymentLabel, publicOrigin, type Answer, type CallContext, type CallLimits, type DeploymentClient } from '../adapter.js';
import { dropPolicy, reportDropped, withoutFields } from '../drop-params.js';
import { openFramedStream } from '../framed-stream.js';
import { sendUpstream, type UpstreamRequest, type UpstreamResponse } from '../http-pool.js';
import { firstSet } from '../openai-compatible/openai-compatible-client.js';
import { errorFromResponse, readJsonBody } from '../upstream-response.js';
import {
  COHERE_CHAT_ANSWER, COHERE_EMBED_ANSWER, CohereToOpenAIStream, cohereToChatCompletion, cohereToEmbeddings, isCohereStreamEnd,
} from './cohere-answer.js';
import { chatRequestToCohere, embeddingRequestToCohere } from './cohere-request.js';

export const COHERE_DEFAULT_BASE = 'https://api.cohere.com';

/** Cohere's v2 stream is SSE; the same events as JSON lines are read too (what some of its gateways send). */
const COHERE_STREAM_FORMATS = { 'text/event-stream': 'sse', 'application/stream+json': 'ndjson', 'application/x-ndjson': 'ndjson' } as const;

/**
 * A `cohere/<model>` deployment: Cohere's v2 API (`/v2/chat`, `/v2/embed`) with a bearer key.
 * The OpenAI API is translated to it and back (cohere-request.ts, cohere-answer.ts); `/v1/messages`
 * goes through that translation too.
 */
export class CohereClient implements DeploymentClient {
  private readonly label: string;
  private readonly chatUrl: URL;
  private readonly embedUrl: URL;
  readonly apiBase: string;

  constructor(
    readonly deployment: Deployment,
    private readonly headers: Record<string, string>,
    base: string,
    private readonly limits: CallLimits,
  ) {
    this.label = deploymentLabel(deployment);
    this.chatUrl = new URL(`${base}/v2/chat`);
    this.embedUrl = new URL(`${base}/v2/embed`);
    this.apiBase = publicOrigin(this.chatUrl);
  }

  async chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>> {
    const policy = dropPolicy(this.deployment, ctx);
    const dropped: string[] = [];
    const wanted = withoutFields({ ...this.deployment.params.defaults, ...request }, policy.alwaysDrop, dropped);
    const model = ctx.upstreamModel ?? this.deployment.model;
    const body = chatRequestToCohere(wanted, { model, dropUnsupported: policy.dropUnsupported, dropped });
    reportDropped(this.deployment, ctx, dropped);
    const stream = body.stream === true;
    const upstream = this.request(this.chatUrl, body, stream, ctx);
    const response = await sendUpstream(upstream);
    if (!stream) {
      const answer = await readJsonBody<Parameters<typeof cohereToChatCompletion>[0]>(await checked(response, upstream), upstream, COHERE_CHAT_ANSWER);
      return { stream: false, body: cohereToChatCompletion(answer, model) };
    }
    const events = await openFramedStream(response, upstream, {
      formats: COHERE_STREAM_FORMATS, completes: isCohereStreamEnd, missing: 'before message-end', errorFrom: cohereError,
    });
    const translator = new CohereToOpenAIStream({ model, includeUsage: request.stream_options?.include_usage === true, label: this.label });
    return { stream: true, events: translateEvents(events, translator) };
  }

  async completion(): Promise<never> {
    throw new GatewayError('invalid_request', `model group "${this.deployment.modelName}" is a cohere/ deployment, and Cohere's v2 API has no text completions; use /v1/chat/completions or /v1/messages`, { param: 'model' });
  }

  async embedding(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const model = ctx.upstreamModel ?? this.deployment.model;
    const upstream = this.request(this.embedUrl, embeddingRequestToCohere(request, model), false, ctx);
    const response = await sendUpstream(upstream);
    const answer = await readJsonBody<Parameters<typeof cohereToEmbeddings>[0]>(await checked(response, upstream), upstream, COHERE_EMBED_ANSWER);
    return cohereToEmbeddings(answer, model, request.encoding_format === 'base64');
  }

  private request(url: URL, body: object, stream: boolean, ctx: CallContext): UpstreamRequest {
    const params = this.deployment.params;
    const timeoutMs = stream ? (params.streamTimeoutMs ?? params.timeoutMs ?? this.limits.timeoutMs) : (params.timeoutMs ?? this.limits.timeoutMs);
    return { url, headers: this.headers, body: jsonForUpstream(body, ctx.bodyBytes), signal: ctx.signal, timeoutMs, maxAnswerBytes: this.limits.maxAnswerBytes, stream, label: this.label };
  }
}

/** A failed answer raised as Cohere's error (below); a good one passed on. */
async function checked(response: UpstreamResponse, request: UpstreamRequest): Promise<UpstreamResponse> {
  if (response.statusCode >= 400) throw await cohereError(response, request);
  return response;
}

/**
 * Cohere's errors are `{"message": …}` with the HTTP status, as the shared reader expects, except
 * its own 498 "invalid token": the key is wrong, which is the deployment's fault as a 401 is
 * (a client that sent nothing wrong must not see a 4xx it cannot fix as its own).
 */
export async function cohereError(response: UpstreamResponse, request: Pick<UpstreamRequest, 'label'>): Promise<GatewayError> {
  const error = await errorFromResponse(response, request);
  if (response.statusCode !== 498) return error;
  return upstreamFailure('upstream_client_error', `${request.label}: Cohere refused the API key (498 invalid token): ${error.message}`, {
    status: 401, upstreamStatus: 401, upstreamCode: 'invalid_api_key', upstreamType: 'authentication_error',
  });
}

/**
 * Where a `cohere/` deployment is reached: `api_base` (or `COHERE_API_BASE`) may be the host or
 * end in `/v2`, `/v2/chat` or `/v1` (LiteLLM's docs show all of them); the key is
 * `COHERE_API_KEY` (or `CO_API_KEY`, the Cohere SDK's name).
 */
export function cohereClient(deployment: Deployment, config: Config, limits: CallLimits): CohereClient {
  const env = config.environment;
  const raw = (deployment.params.apiBase ?? firstSet(env, ['COHERE_API_BASE']) ?? COHERE_DEFAULT_BASE).replace(/\/+$/, '');
  const base = raw.replace(/\/(v1|v2)(\/(chat|embed))?$/, '');
  const apiKey = deployment.params.apiKey ?? firstSet(env, ['COHERE_API_KEY', 'CO_API_KEY']);
  registerSecret(apiKey);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...deployment.params.extraHeaders };
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
  return new CohereClient(deployment, headers, base, limits);
}
