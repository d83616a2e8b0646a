import type { Config, Deployment } from '../../config/index.js';
import { GatewayError, registerSecret } from '../../core/index.js';
import { firstSet, type Operation, type Target } from '../openai-compatible/openai-compatible-client.js';

/** Azure OpenAI is the OpenAI API at a per-deployment URL, with `api-version` and an `api-key` header. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

export function azureTarget(deployment: Deployment, config: Config): Target {
  const env = config.environment;
  const base = (deployment.params.apiBase ?? firstSet(env, ['AZURE_API_BASE', 'AZURE_OPENAI_ENDPOINT']))?.replace(/\/+$/, '');
  if (base === undefined) {
    throw new GatewayError('invalid_request', `azure/ deployment "${deployment.modelName}" needs litellm_params.api_base (or AZURE_API_BASE)`);
  }
  const version = deployment.params.apiVersion ?? firstSet(env, ['AZURE_API_VERSION', 'OPENAI_API_VERSION']) ?? AZURE_DEFAULT_API_VERSION;
  const apiKey = deployment.params.apiKey ?? firstSet(env, ['AZURE_API_KEY', 'AZURE_OPENAI_API_KEY']);
  registerSecret(apiKey);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...deployment.params.extraHeaders };
  if (apiKey !== undefined) headers['api-key'] = apiKey;
  const paths: Record<Operation, string> = { chat: 'chat/completions', completion: 'completions', embedding: 'embeddings' };
  return {
    url: (operation, model) => {
      const url = new URL(`${base}/openai/deployments/${encodeURIComponent(model)}/${paths[operation]}`);
      url.searchParams.set('api-version', version);
      return url;
    },
    // The Responses API is per resource, the deployment named in the body (as LiteLLM calls it).
    responses: (_model, path) => {
      const url = new URL(`${base}/openai/responses${path}`);
      url.searchParams.set('api-version', version);
      return url;
    },
    headers,
  };
}
