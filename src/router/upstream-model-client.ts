import type { AnthropicMessagesRequest, ChatCompletionRequest, CompletionRequest, EmbeddingRequest, ResponsesRequest, TokenCountRequest } from '../protocol/index.js';
import type { CallContext, DeploymentClient, StoredResponseAction } from '../providers/index.js';
import { upstreamModelFor, type ResolvedModelGroup } from './model-group-resolver.js';

/**
 * The client to call for this request: the deployment's own client, or, when the request reached
 * it through a wildcard pattern, the same client told (per call, via `CallContext.upstreamModel`)
 * which upstream model the `*` stands for this time.
 */
export function clientForRequest(client: DeploymentClient, resolved: ResolvedModelGroup, requested: string): DeploymentClient {
  const model = upstreamModelFor(client.deployment.model, resolved, requested);
  if (model === client.deployment.model) return client;
  const withModel = (ctx: CallContext): CallContext => ({ ...ctx, upstreamModel: model });
  const messages = client.messages?.bind(client);
  const responses = client.responses?.bind(client);
  const stored = client.storedResponse?.bind(client);
  const countTokens = client.countTokens?.bind(client);
  return {
    deployment: client.deployment,
    ...(client.apiBase === undefined ? {} : { apiBase: client.apiBase }),
    chat: (request: ChatCompletionRequest, ctx: CallContext) => client.chat(request, withModel(ctx)),
    completion: (request: CompletionRequest, ctx: CallContext) => client.completion(request, withModel(ctx)),
    embedding: (request: EmbeddingRequest, ctx: CallContext) => client.embedding(request, withModel(ctx)),
    ...(messages ? { messages: (request: AnthropicMessagesRequest, ctx: CallContext) => messages(request, withModel(ctx)) } : {}),
    ...(responses ? { responses: (request: ResponsesRequest, ctx: CallContext) => responses(request, withModel(ctx)) } : {}),
    ...(stored ? { storedResponse: (action: StoredResponseAction, ctx: CallContext) => stored(action, withModel(ctx)) } : {}),
    ...(countTokens ? { countTokens: (request: TokenCountRequest, ctx: CallContext, options: { beta: boolean }) => countTokens(request, withModel(ctx), options) } : {}),
  };
}
