import type { Config, Deployment } from '../../config/index.js';
import { registerSecret } from '../../core/index.js';
import { firstSet } from '../openai-compatible/openai-compatible-client.js';
import type { GeminiTarget } from './gemini-client.js';

export const GEMINI_DEFAULT_BASE = 'https://generativelanguage.googleapis.com';

/**
 * Where a `gemini/` deployment (the Gemini API, Google AI Studio) is reached. `api_base` (or
 * `GEMINI_API_BASE`) replaces the host; a base that already ends in a version path (`/v1beta`,
 * `/v1`) keeps it, else `/v1beta` is added. The key (`api_key`, else `GEMINI_API_KEY`, else
 * `GOOGLE_API_KEY`) goes in the `x-goog-api-key` header, never in the URL, where it could reach
 * an access log.
 */
export function geminiTarget(deployment: Deployment, config: Config): GeminiTarget {
  const env = config.environment;
  const base = (deployment.params.apiBase ?? firstSet(env, ['GEMINI_API_BASE']) ?? GEMINI_DEFAULT_BASE).replace(/\/+$/, '');
  const root = /\/v1(beta|alpha)?\d*$/.test(base) ? base : `${base}/v1beta`;
  const apiKey = deployment.params.apiKey ?? firstSet(env, ['GEMINI_API_KEY', 'GOOGLE_API_KEY']);
  registerSecret(apiKey);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...deployment.params.extraHeaders };
  if (apiKey !== undefined) headers['x-goog-api-key'] = apiKey;
  const model = (name: string) => `${root}/models/${encodeURIComponent(name)}`;
  return {
    origin: new URL(root).origin,
    generateUrl: async (name, stream) => new URL(stream ? `${model(name)}:streamGenerateContent?alt=sse` : `${model(name)}:generateContent`),
    embeddingUrl: async (name) => new URL(`${model(name)}:batchEmbedContents`),
    embeddingApi: 'batchEmbedContents',
    headers,
  };
}
