import type { Config, Deployment } from '../../config/index.js';
import type { GeminiTarget } from '../gemini/gemini-client.js';
import { firstSet } from '../openai-compatible/openai-compatible-client.js';
import { VertexTokenSource } from './vertex-auth.js';
import { readVertexCredentials } from './vertex-credentials.js';

/** LiteLLM's default region when neither the deployment nor the environment names one. */
export const VERTEX_DEFAULT_LOCATION = 'us-central1';

export interface VertexEndpoint {
  /** Scheme, host and port (for `x-litellm-model-api-base`). */
  origin: string;
  /** `{base}/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/`. */
  modelsUrl(publisher: 'google' | 'anthropic'): Promise<string>;
  headers: Record<string, string>;
  tokens: VertexTokenSource;
}

/**
 * Where a `vertex_ai/` deployment is reached: `https://{location}-aiplatform.googleapis.com` (or
 * `aiplatform.googleapis.com` for `global`), or `api_base` in its place (a private endpoint, a
 * proxy, a test's fake); a base that already ends in `/v1` or `/v1beta1` keeps its version.
 * Project: `vertex_project`, else `VERTEXAI_PROJECT` / `GOOGLE_CLOUD_PROJECT`, else the service
 * account's `project_id`, else the one Application Default Credentials name (on the first call). Location: `vertex_location`, else `VERTEXAI_LOCATION`, else us-central1.
 */
export function vertexEndpoint(deployment: Deployment, config: Config, label: string): VertexEndpoint {
  const env = config.environment;
  const params = deployment.params;
  const credentials = readVertexCredentials(params.vertexCredentials ?? firstSet(env, ['VERTEXAI_CREDENTIALS']), env);
  const project = params.vertexProject ?? firstSet(env, ['VERTEXAI_PROJECT', 'VERTEX_PROJECT', 'GOOGLE_CLOUD_PROJECT'])
    ?? (credentials.kind === 'service_account' ? credentials.account.project_id : credentials.kind === 'other' ? credentials.projectId : undefined);
  const location = params.vertexLocation ?? firstSet(env, ['VERTEXAI_LOCATION', 'VERTEX_LOCATION']) ?? VERTEX_DEFAULT_LOCATION;
  const host = location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
  const base = (params.apiBase ?? firstSet(env, ['VERTEXAI_API_BASE']) ?? host).replace(/\/+$/, '');
  const root = /\/v1(beta1)?$/.test(base) ? base : `${base}/v1`;
  const tokens = new VertexTokenSource(credentials, label);
  // Without a project in the config, Application Default Credentials name it (asked once).
  let path: Promise<string> | undefined;
  const pathFor = (name: string) => `${root}/projects/${encodeURIComponent(name)}/locations/${encodeURIComponent(location)}/publishers`;
  if (project !== undefined) path = Promise.resolve(pathFor(project));
  return {
    origin: new URL(root).origin,
    modelsUrl: async (publisher) => {
      path ??= tokens.projectId().then(pathFor, (error: unknown) => {
        path = undefined;
        throw error;
      });
      return `${await path}/${publisher}/models/`;
    },
    headers: { 'content-type': 'application/json', ...params.extraHeaders },
    tokens,
  };
}

/**
 * A model id as a path segment. `@` stays as written: Vertex names model versions with it
 * (`claude-sonnet-4-5@20250929`) and its URLs carry it literally.
 */
export function modelSegment(model: string): string {
  return encodeURIComponent(model).replaceAll('%40', '@');
}

/** Gemini models on Vertex: the Gemini wire format, an access token per call, embeddings by `:predict`. */
export function vertexGeminiTarget(endpoint: VertexEndpoint): GeminiTarget {
  const models = () => endpoint.modelsUrl('google');
  return {
    origin: endpoint.origin,
    generateUrl: async (model, stream) => new URL(`${await models()}${modelSegment(model)}${stream ? ':streamGenerateContent?alt=sse' : ':generateContent'}`),
    embeddingUrl: async (model) => new URL(`${await models()}${modelSegment(model)}:predict`),
    embeddingApi: 'predict',
    headers: endpoint.headers,
    authorize: () => endpoint.tokens.authorize(),
  };
}
