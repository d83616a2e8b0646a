import type { Config, Deployment } from '../../config/index.js';
import { jsonForUpstream, registerSecret } from '../../core/index.js';
import {
  translateEvents,
  type ChatCompletion, type ChatCompletionRequest, type Completion, type CompletionRequest, type EmbeddingRequest, type EmbeddingResponse,
} from '../../protocol/index.js';
import { deploymentLabel, publicOrigin, type Answer, type CallContext, type CallLimits, type DeploymentClient } from '../adapter.js';
import { dropPolicy, reportDropped, withoutFields } from '../drop-params.js';
import { openFramedStream } from '../framed-stream.js';
import { sendUpstream, type UpstreamRequest } from '../http-pool.js';
import { firstSet } from '../openai-compatible/openai-compatible-client.js';
import { readJsonBody } from '../upstream-response.js';
import {
  OLLAMA_CHAT_ANSWER, OLLAMA_EMBED_ANSWER, OLLAMA_GENERATE_ANSWER, OllamaToOpenAIStream, isOllamaStreamEnd, ollamaToChatCompletion, ollamaToCompletion, ollamaToEmbeddings,
  type OllamaAnswer,
} from './ollama-answer.js';
import { chatRequestToOllamaChat, chatRequestToOllamaGenerate, completionRequestToOllama, embeddingRequestToOllama, type OllamaRequestOptions } from './ollama-request.js';

export const OLLAMA_DEFAULT_BASE = 'http://localhost:11434';

/** Ollama streams newline-delimited JSON. */
const OLLAMA_STREAM_FORMATS = { 'application/x-ndjson': 'ndjson', 'application/json': 'ndjson' } as const;

type Path = '/api/chat' | '/api/generate' | '/api/embed';

/**
 * A native Ollama deployment: `ollama_chat/<model>` chats through `/api/chat` (tools, images),
 * `ollama/<model>` through `/api/generate` (a prompt), as LiteLLM does; text completions go to
 * `/api/generate` and embeddings to `/api/embed` for both. The OpenAI API is translated to it
 * and back (ollama-request.ts, ollama-answer.ts); `/v1/messages` goes through that translation.
 */
export class OllamaClient implements DeploymentClient {
  private readonly label: string;
  private readonly urls: Record<Path, URL>;
  readonly apiBase: string;

  constructor(
    readonly deployment: Deployment,
    private readonly headers: Record<string, string>,
    base: string,
    private readonly limits: CallLimits,
  ) {
    this.label = deploymentLabel(deployment);
    this.urls = { '/api/chat': new URL(`${base}/api/chat`), '/api/generate': new URL(`${base}/api/generate`), '/api/embed': new URL(`${base}/api/embed`) };
    this.apiBase = publicOrigin(this.urls['/api/chat']);
  }

  async chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>> {
    const viaChat = this.deployment.provider === 'ollama_chat';
    const { wanted, options } = this.prepare(request, ctx);
    const body = viaChat ? chatRequestToOllamaChat(wanted, options) : chatRequestToOllamaGenerate(wanted, options);
    reportDropped(this.deployment, ctx, options.dropped);
    const upstream = this.request(viaChat ? '/api/chat' : '/api/generate', body, ctx);
    const response = await sendUpstream(upstream);
    if (!upstream.stream) {
      const answer = await readJsonBody<OllamaAnswer>(response, upstream, viaChat ? OLLAMA_CHAT_ANSWER : OLLAMA_GENERATE_ANSWER);
      return { stream: false, body: ollamaToChatCompletion(answer, options.model) };
    }
    return { stream: true, events: await this.stream(response, upstream, request, options.model, false) };
  }

  async completion(request: CompletionRequest, ctx: CallContext): Promise<Answer<Completion>> {
    const { wanted, options } = this.prepare(request, ctx);
    const body = completionRequestToOllama(wanted, options);
    reportDropped(this.deployment, ctx, options.dropped);
    const upstream = this.request('/api/generate', body, ctx);
    const response = await sendUpstream(upstream);
    if (!upstream.stream) return { stream: false, body: ollamaToCompletion(await readJsonBody<OllamaAnswer>(response, upstream, OLLAMA_GENERATE_ANSWER), options.model) };
    return { stream: true, events: await this.stream(response, upstream, request, options.model, true) };
  }

  async embedding(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const model = ctx.upstreamModel ?? this.deployment.model;
    const upstream = this.request('/api/embed', embeddingRequestToOllama(request, model), ctx);
    const answer = await readJsonBody<{ embeddings: number[][]; prompt_eval_count?: number }>(await sendUpstream(upstream), upstream, OLLAMA_EMBED_ANSWER);
    return ollamaToEmbeddings(answer, model, request.encoding_format === 'base64');
  }

  private prepare<T extends ChatCompletionRequest | CompletionRequest>(request: T, ctx: CallContext): { wanted: T; options: OllamaRequestOptions } {
    const policy = dropPolicy(this.deployment, ctx);
    const dropped: string[] = [];
    const wanted = withoutFields({ ...this.deployment.params.defaults, ...request }, policy.alwaysDrop, dropped);
    return { wanted, options: { model: ctx.upstreamModel ?? this.deployment.model, dropUnsupported: policy.dropUnsupported, dropped } };
  }

  private async stream(response: Awaited<ReturnType<typeof sendUpstream>>, upstream: UpstreamRequest, request: { stream_options?: { include_usage?: boolean | null } | null }, model: string, text: boolean) {
    const events = await openFramedStream(response, upstream, { formats: OLLAMA_STREAM_FORMATS, completes: isOllamaStreamEnd, missing: 'before its "done": true line' });
    const translator = new OllamaToOpenAIStream({ model, includeUsage: request.stream_options?.include_usage === true, label: this.label, text });
    return translateEvents(events, translator);
  }

  private request(path: Path, body: Record<string, unknown>, ctx: CallContext): UpstreamRequest {
    const params = this.deployment.params;
    const stream = body.stream === true;
    const timeoutMs = stream ? (params.streamTimeoutMs ?? params.timeoutMs ?? this.limits.timeoutMs) : (params.timeoutMs ?? this.limits.timeoutMs);
    return { url: this.urls[path], headers: this.headers, body: jsonForUpstream(body, ctx.bodyBytes), signal: ctx.signal, timeoutMs, maxAnswerBytes: this.limits.maxAnswerBytes, stream, label: this.label };
  }
}

/**
 * Where an Ollama deployment is reached: `api_base` (or `OLLAMA_API_BASE`) is the server's root;
 * a trailing `/v1` (Ollama's OpenAI API, which `ollama_chat/` used before it was native) or
 * `/api/chat`, `/api/generate` is taken off. `OLLAMA_API_KEY`, when set, is sent as a bearer
 * token (Ollama's hosted service, or a proxy in front of a server).
 */
export function ollamaClient(deployment: Deployment, config: Config, limits: CallLimits): OllamaClient {
  const env = config.environment;
  const raw = (deployment.params.apiBase ?? firstSet(env, ['OLLAMA_API_BASE']) ?? OLLAMA_DEFAULT_BASE).replace(/\/+$/, '');
  const base = raw.replace(/\/(v1|api(\/(chat|generate|embed|embeddings))?)$/, '');
  const apiKey = deployment.params.apiKey ?? firstSet(env, ['OLLAMA_API_KEY']);
  registerSecret(apiKey);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...deployment.params.extraHeaders };
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
  return new OllamaClient(deployment, headers, base, limits);
}
