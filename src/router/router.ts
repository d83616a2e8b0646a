import type { Config, Deployment } from '../config/index.js';
import { GatewayError, systemClock, systemRandom, type Clock, type Random } from '../core/index.js';
import type {
  AnthropicMessage, AnthropicMessagesRequest, ChatCompletion, ChatCompletionRequest, Completion, CompletionRequest,
  EmbeddingRequest, EmbeddingResponse,
} from '../protocol/index.js';
import { answerMessages, type Answer, type CallContext, type DeploymentClient } from '../providers/index.js';
import { ModelGroupResolver } from './model-group-resolver.js';
import { clientForRequest } from './upstream-model-client.js';

/** What the server gets back: the answer and how it was obtained (for headers, logs, metrics). */
export interface Routed<T> {
  answer: T;
  deployment: Deployment;
  /** Upstream calls made, this one included. */
  attempts: number;
  /** Model group that answered when it differs from the one asked for. */
  fallbackGroup?: string;
  /** Milliseconds spent waiting on upstreams (to response headers, for streams). */
  upstreamMs: number;
}

export interface RouterOptions {
  clock?: Clock;
  random?: Random;
}

type Call<T> = (client: DeploymentClient) => Promise<T>;

/**
 * Picks a deployment of the requested model group and calls it. This first version draws
 * uniformly among the group's deployments and makes one attempt; strategies, retries, fallbacks
 * and cooldowns grow here without the server noticing.
 */
export class Router {
  private readonly groups = new Map<string, DeploymentClient[]>();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly resolver: ModelGroupResolver;

  constructor(readonly config: Config, clients: readonly DeploymentClient[], options: RouterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    for (const client of clients) {
      const group = this.groups.get(client.deployment.modelName);
      if (group) group.push(client);
      else this.groups.set(client.deployment.modelName, [client]);
    }
    this.resolver = new ModelGroupResolver(this.groups.keys());
  }

  modelGroups(): string[] {
    return [...this.groups.keys()];
  }

  hasModelGroup(name: string): boolean {
    return this.resolver.resolve(name) !== undefined;
  }

  chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Routed<Answer<ChatCompletion>>> {
    return this.route(request.model, (client) => client.chat(request, ctx));
  }

  completion(request: CompletionRequest, ctx: CallContext): Promise<Routed<Answer<Completion>>> {
    return this.route(request.model, (client) => client.completion(request, ctx));
  }

  embedding(request: EmbeddingRequest, ctx: CallContext): Promise<Routed<EmbeddingResponse>> {
    return this.route(request.model, (client) => client.embedding(request, ctx));
  }

  /** Anthropic Messages: native on `anthropic/` deployments, translated through chat elsewhere. */
  messages(request: AnthropicMessagesRequest, ctx: CallContext): Promise<Routed<Answer<AnthropicMessage>>> {
    return this.route(request.model, (client) => answerMessages(client, request, ctx));
  }

  private async route<T>(modelGroup: string, call: Call<T>): Promise<Routed<T>> {
    const resolved = this.resolver.resolve(modelGroup); // exact name, else the most specific wildcard pattern
    const group = resolved && this.groups.get(resolved.group);
    if (resolved === undefined || group === undefined || group.length === 0) throw modelNotFound(modelGroup);
    const client = group[Math.floor(this.random() * group.length)] ?? (group[0] as DeploymentClient);
    const started = this.clock.monotonic();
    const answer = await call(clientForRequest(client, resolved, modelGroup));
    return { answer, deployment: client.deployment, attempts: 1, upstreamMs: this.clock.monotonic() - started };
  }
}

export function modelNotFound(model: string): GatewayError {
  return new GatewayError('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model' });
}
