import type { Deployment } from '../config/index.js';

/**
 * One deployment as `/health` and the shared results show it: an allow-list of fields, never the
 * deployment's parameters wholesale (LiteLLM copies `litellm_params` and strips what it knows to
 * be secret; a key under a name it does not know leaks). `api_base` loses any user info and query.
 */
export interface EndpointEntry {
  model: string;
  model_id: string;
  api_base?: string;
  api_version?: string;
  mode?: string;
  error?: string;
}

export function endpointEntry(deployment: Deployment, error: string | undefined, details: boolean): EndpointEntry {
  const entry: EndpointEntry = { model: `${deployment.provider}/${deployment.model}`, model_id: deployment.id };
  if (!details) return entry;
  const apiBase = publicApiBase(deployment.params.apiBase);
  if (apiBase !== undefined) entry.api_base = apiBase;
  if (deployment.params.apiVersion !== undefined) entry.api_version = deployment.params.apiVersion;
  entry.mode = deployment.info.mode;
  if (error !== undefined) entry.error = error;
  return entry;
}

/** Scheme, host, port and path only: `https://user:key@host/v1?key=…` → `https://host/v1`. */
export function publicApiBase(apiBase: string | undefined): string | undefined {
  if (apiBase === undefined) return undefined;
  try {
    const url = new URL(apiBase);
    return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
  } catch {
    return undefined; // not a URL: showing it could show anything
  }
}
