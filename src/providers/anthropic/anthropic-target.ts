import type { Config, Deployment } from '../../config/index.js';
import { registerSecret } from '../../core/index.js';
import { ANTHROPIC_VERSION } from '../../protocol/index.js';
import { firstSet } from '../openai-compatible/openai-compatible-client.js';

export const ANTHROPIC_DEFAULT_BASE = 'https://api.anthropic.com';

export interface AnthropicTarget {
  url: URL;
  headers: Record<string, string>;
}

/**
 * Where an `anthropic/` deployment is reached. `api_base` may be the host (as LiteLLM documents
 * it), end in `/v1`, or be the full `/v1/messages` URL; all three mean the same endpoint.
 */
export function anthropicTarget(deployment: Deployment, config: Config): AnthropicTarget {
  const env = config.environment;
  const base = (deployment.params.apiBase ?? firstSet(env, ['ANTHROPIC_API_BASE', 'ANTHROPIC_BASE_URL']) ?? ANTHROPIC_DEFAULT_BASE).replace(/\/+$/, '');
  const url = base.endsWith('/v1/messages') ? base : base.endsWith('/v1') ? `${base}/messages` : `${base}/v1/messages`;
  const apiKey = deployment.params.apiKey ?? firstSet(env, ['ANTHROPIC_API_KEY']);
  registerSecret(apiKey);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION, ...deployment.params.extraHeaders };
  if (apiKey !== undefined) headers['x-api-key'] = apiKey;
  return { url: new URL(url), headers };
}
