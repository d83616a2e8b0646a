import type { Config, ConfigProblem, Deployment } from '../config/index.js';
import { GatewayError } from '../core/index.js';
import type { CallLimits, DeploymentClient } from './adapter.js';
import { AnthropicClient } from './anthropic/anthropic-client.js';
import { anthropicTarget } from './anthropic/anthropic-target.js';
import { azureTarget } from './azure/azure-target.js';
import { BedrockClient } from './bedrock/bedrock-client.js';
import { bedrockTarget } from './bedrock/bedrock-target.js';
import { cohereClient } from './cohere/cohere-client.js';
import { MockClient } from './mock/mock-client.js';
import { OPENAI_COMPATIBLE_FAMILIES } from './openai-compatible/families.js';
import { OpenAICompatibleClient, familyTarget } from './openai-compatible/openai-compatible-client.js';
import { ollamaClient } from './ollama/ollama-client.js';
import { UnimplementedClient } from './unimplemented-client.js';
import { GeminiClient } from './gemini/gemini-client.js';
import { geminiTarget } from './gemini/gemini-target.js';
import { VertexClaudeClient } from './vertex/vertex-claude-client.js';
import { vertexEndpoint, vertexGeminiTarget } from './vertex/vertex-target.js';
import { deploymentLabel } from './adapter.js';

export type { Answer, CallContext, DeploymentClient, EventStream, StoredResponseAction } from './adapter.js';
export { answerResponses, previousResponseNotFound, type PreviousResponse, type ResponsesAnswer } from './responses-via-chat.js';
export { answerCountTokens } from './token-count/count-tokens.js';
export { countChatTokens, countText, encodingForModel } from './token-count/local-token-count.js';
export { closeAllPools } from './http-pool.js';
export { answerMessages, messagesViaChat } from './messages-via-chat.js';
export { estimateTokens } from './mock/mock-client.js';

/** A client answering `text` for this deployment without calling anyone (a request's `mock_response`). */
export function mockClientFor(deployment: Deployment, text: string): DeploymentClient {
  return new MockClient(deployment, text);
}

/** Providers with a client of their own (not an OpenAI-compatible family). */
const NATIVE_CLIENTS: Readonly<Record<string, (deployment: Deployment, config: Config, limits: CallLimits) => DeploymentClient>> = {
  cohere: cohereClient,
  // LiteLLM's prefix for Cohere's older chat API: the same models and key, reached through v2.
  cohere_chat: cohereClient,
  ollama: ollamaClient,
  ollama_chat: ollamaClient,
};

export const IMPLEMENTED_PROVIDERS: readonly string[] = ['anthropic', 'azure', 'bedrock', 'gemini', 'vertex_ai', ...Object.keys(NATIVE_CLIENTS), ...Object.keys(OPENAI_COMPATIBLE_FAMILIES)];

export function isImplementedProvider(provider: string): boolean {
  return IMPLEMENTED_PROVIDERS.includes(provider);
}

/** Builds the client for one deployment; throws a GatewayError when it cannot be reached at all. */
export function createDeploymentClient(deployment: Deployment, config: Config): DeploymentClient {
  if (deployment.params.mockResponse !== undefined) return new MockClient(deployment, deployment.params.mockResponse);
  const limits = { timeoutMs: config.router.timeoutMs, maxAnswerBytes: config.maxResponseBytes };
  if (deployment.provider === 'anthropic') return new AnthropicClient(deployment, anthropicTarget(deployment, config), limits);
  if (deployment.provider === 'azure') return new OpenAICompatibleClient(deployment, azureTarget(deployment, config), limits);
  if (deployment.provider === 'bedrock') return new BedrockClient(deployment, bedrockTarget(deployment, config), limits);
  if (deployment.provider === 'gemini') return new GeminiClient(deployment, geminiTarget(deployment, config), limits);
  if (deployment.provider === 'vertex_ai') return vertexClient(deployment, config, limits);
  // Own keys only: a provider named `constructor` must not find Object's.
  const provider = deployment.provider;
  if (Object.hasOwn(NATIVE_CLIENTS, provider)) return NATIVE_CLIENTS[provider]!(deployment, config, limits);
  const family = Object.hasOwn(OPENAI_COMPATIBLE_FAMILIES, provider) ? OPENAI_COMPATIBLE_FAMILIES[provider] : undefined;
  if (family !== undefined) return new OpenAICompatibleClient(deployment, familyTarget(deployment, family, config), limits);
  return new UnimplementedClient(deployment);
}

/** Vertex AI: Claude models through rawPredict, everything else as Gemini (`vertex_ai/gemini-…`, embedding models). */
function vertexClient(deployment: Deployment, config: Config, limits: { timeoutMs: number; maxAnswerBytes: number }): DeploymentClient {
  const endpoint = vertexEndpoint(deployment, config, deploymentLabel(deployment));
  if (deployment.model.startsWith('claude')) return new VertexClaudeClient(deployment, endpoint, limits);
  return new GeminiClient(deployment, vertexGeminiTarget(endpoint), limits);
}

/** One warning listing deployments whose provider is not implemented (their requests get 501). */
export function unimplementedProviderWarning(config: Config): string | undefined {
  const paths = config.deployments
    .filter((d) => d.params.mockResponse === undefined && !isImplementedProvider(d.provider))
    .map((d) => `model_list[${d.index}].litellm_params.model (${d.provider}/)`);
  return paths.length === 0 ? undefined : `providers not implemented, requests to them get 501: ${paths.join(', ')}`;
}

/** Every deployment's client, or the problems that stop them being built (no network involved). */
export function buildDeploymentClients(config: Config): { clients: DeploymentClient[]; problems: ConfigProblem[] } {
  const clients: DeploymentClient[] = [];
  const problems: ConfigProblem[] = [];
  for (const deployment of config.deployments) {
    try {
      clients.push(createDeploymentClient(deployment, config));
    } catch (error) {
      const message = error instanceof GatewayError ? error.message : String(error);
      problems.push({ path: `model_list[${deployment.index}].litellm_params`, message });
    }
  }
  return { clients, problems };
}
