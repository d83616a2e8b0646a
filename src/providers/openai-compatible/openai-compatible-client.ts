import type { Config, Deployment } from '../../config/index.js';
import { GatewayError, jsonForUpstream, registerSecret } from '../../core/index.js';
import {
  CHAT_COMPLETION, EMBEDDING_LIST, TEXT_COMPLETION,
  type ChatCompletion, type ChatCompletionRequest, type Completion, type CompletionRequest, type EmbeddingRequest, type EmbeddingResponse,
} from '../../protocol/index.js';
import { deploymentLabel, publicOrigin, type Answer, type CallContext, type CallLimits, type DeploymentClient, type StoredResponseAction } from '../adapter.js';
import { dropPolicy, reportDropped, withoutFields } from '../drop-params.js';
import { sendUpstream, type UpstreamRequest } from '../http-pool.js';
import { openEventStream, readJsonBody } from '../upstream-response.js';
import type { Family } from './families.js';
import { familyAdapter, familyModel, type BodyAdapter } from './family-adapt.js';
import { NativeResponses, type ResponsesUrl } from './native-responses.js';

export type Operation = 'chat' | 'completion' | 'embedding';

/** Where and how to reach one deployment: the only thing that differs between compatible APIs. */
export interface Target {
  /** `model` matters where the URL names it (Azure's deployment path). */
  url(operation: Operation, model: string): URL;
  headers: Record<string, string>;
  /** Where its Responses API is, for the providers that have one (OpenAI, Azure); absent: translated. */
  responses?: ResponsesUrl;
  /** The family's request differences (families.ts), applied to chat and completion bodies. */
  adapt?: BodyAdapter;
  /** The model name as the upstream wants it (a family's prefix). */
  upstreamModel?: (model: string) => string;
}

/** Sends OpenAI-shaped requests to an OpenAI-compatible API; the upstream's answer passes through. */
export class OpenAICompatibleClient implements DeploymentClient {
  private readonly urls: Record<Operation, URL>;
  private readonly label: string;
  readonly apiBase: string;
  /** Present only when the target has a Responses API (see DeploymentClient.responses). */
  readonly responses?: DeploymentClient['responses'];
  readonly storedResponse?: DeploymentClient['storedResponse'];

  constructor(
    readonly deployment: Deployment,
    private readonly target: Target,
    private readonly limits: CallLimits,
  ) {
    const model = deployment.model;
    this.urls = { chat: target.url('chat', model), completion: target.url('completion', model), embedding: target.url('embedding', model) };
    this.label = deploymentLabel(deployment);
    this.apiBase = publicOrigin(this.urls.chat);
    if (target.responses !== undefined) {
      const native = new NativeResponses(deployment, { url: target.responses, headers: target.headers }, limits);
      this.responses = (request, ctx) => native.create(request, ctx);
      this.storedResponse = (action: StoredResponseAction, ctx: CallContext) => native.stored(action, ctx);
    }
  }

  // Not `async`: an async function returning another's promise costs extra promise jobs per call.
  chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>> {
    return this.generate<ChatCompletion>('chat', request, ctx);
  }

  completion(request: CompletionRequest, ctx: CallContext): Promise<Answer<Completion>> {
    return this.generate<Completion>('completion', request, ctx);
  }

  async embedding(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const upstream = this.request('embedding', { ...this.withoutDropped(request, ctx), model: this.modelFor(ctx) }, false, ctx);
    return readJsonBody<EmbeddingResponse>(await sendUpstream(upstream), upstream, EMBEDDING_LIST);
  }

  private async generate<T>(operation: 'chat' | 'completion', request: { stream?: boolean | null }, ctx: CallContext): Promise<Answer<T>> {
    const stream = request.stream === true;
    const body = this.adapted({ ...this.withoutDropped({ ...this.deployment.params.defaults, ...request }, ctx), model: this.modelFor(ctx) }, ctx);
    const upstream = this.request(operation, body, stream, ctx);
    const response = await sendUpstream(upstream);
    if (stream) return { stream: true, events: await openEventStream(response, upstream, 'openai') };
    return { stream: false, body: await readJsonBody<T>(response, upstream, operation === 'chat' ? CHAT_COMPLETION : TEXT_COMPLETION) };
  }

  private modelFor(ctx: CallContext): string {
    const model = ctx.upstreamModel ?? this.deployment.model;
    return this.target.upstreamModel === undefined ? model : this.target.upstreamModel(model);
  }

  /** The family's renames, respellings and refused fields (the latter named in the debug line). */
  private adapted(body: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    const adapt = this.target.adapt;
    if (adapt === undefined) return body;
    const dropped: string[] = [];
    const out = adapt(body, dropped);
    reportDropped(this.deployment, ctx, dropped);
    return out;
  }

  /**
   * `additional_drop_params` (the deployment's and the request's) taken out. An OpenAI-compatible
   * API's own set of parameters is not known here, so `drop_params` alone drops nothing.
   */
  private withoutDropped<T extends object>(body: T, ctx: CallContext): T {
    const fields = this.deployment.params.additionalDropParams.length === 0 && ctx.additionalDropParams === undefined ? undefined : dropPolicy(this.deployment, ctx).alwaysDrop;
    if (fields === undefined) return body;
    const dropped: string[] = [];
    const out = withoutFields(body, fields, dropped);
    reportDropped(this.deployment, ctx, dropped);
    return out;
  }

  private request(operation: Operation, body: object, stream: boolean, ctx: CallContext): UpstreamRequest {
    const params = this.deployment.params;
    const timeoutMs = stream ? (params.streamTimeoutMs ?? params.timeoutMs ?? this.limits.timeoutMs) : (params.timeoutMs ?? this.limits.timeoutMs);
    return {
      url: ctx.upstreamModel === undefined ? this.urls[operation] : this.target.url(operation, ctx.upstreamModel),
      headers: this.target.headers,
      body: jsonForUpstream(body, ctx.bodyBytes),
      signal: ctx.signal,
      timeoutMs,
      maxAnswerBytes: this.limits.maxAnswerBytes,
      stream,
      label: this.label,
    };
  }
}

/** The target for `openai/` and the data-only families. */
export function familyTarget(deployment: Deployment, family: Family, config: Config): Target {
  const env = config.environment;
  let base = deployment.params.apiBase ?? firstSet(env, family.baseEnv) ?? family.baseUrl;
  if (base === undefined) {
    throw new GatewayError('invalid_request', `${deployment.provider}/ deployment "${deployment.modelName}" needs litellm_params.api_base`);
  }
  base = base.replace(/\/+$/, '');
  if (family.basePathSuffix && !base.endsWith(family.basePathSuffix)) base += family.basePathSuffix;
  const apiKey = deployment.params.apiKey ?? firstSet(env, family.keyEnv);
  registerSecret(apiKey);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...deployment.params.extraHeaders };
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
  if (deployment.params.organization !== undefined) headers['openai-organization'] = deployment.params.organization;
  const named = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  for (const [name, variable] of Object.entries(family.headerEnv ?? {})) {
    const value = firstSet(env, [variable]);
    // The deployment's own extra_headers win.
    if (value !== undefined && !named.has(name.toLowerCase())) headers[name] = value;
  }
  const paths: Record<Operation, string> = { chat: '/chat/completions', completion: '/completions', embedding: '/embeddings' };
  const target: Target = { url: (operation) => new URL(base + paths[operation]), headers };
  const adapt = familyAdapter(family);
  if (adapt !== undefined) target.adapt = adapt;
  if (family.modelPrefix !== undefined) target.upstreamModel = (model) => familyModel(family, model);
  // Only OpenAI's own API (or a server given as openai/ with an api_base) is taken to have it.
  if (deployment.provider === 'openai') target.responses = (_model, path) => new URL(`${base}/responses${path}`);
  return target;
}

export function firstSet(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
