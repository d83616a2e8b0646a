import type { Deployment } from '../config/index.js';
import { publicApiBase } from '../health/index.js';

/**
 * LiteLLM's `/model/info` and `/model_group/info` answers, built from the config. Both show
 * allow-lists only: `litellm_params` never wholesale (LiteLLM copies them and removes the secrets
 * it knows of; a key under a name it does not know leaks), `api_base` without user info or query,
 * and of `model_info` the descriptive keys (context sizes, prices, `supports_*` flags). A value
 * the config does not give is `null`, as LiteLLM shows it: an unknown price is not $0.
 */

/** Descriptive `model_info` keys shown as declared (numbers and text, never a credential). */
const INFO_KEYS = [
  'max_tokens', 'max_input_tokens', 'max_output_tokens', 'input_cost_per_token', 'output_cost_per_token',
  'input_cost_per_second', 'output_cost_per_second', 'description', 'tier',
] as const;

/** Keys LiteLLM always shows, `null` when unknown. */
const ALWAYS_SHOWN = ['max_tokens', 'max_input_tokens', 'max_output_tokens', 'input_cost_per_token', 'output_cost_per_token'] as const;

export interface ModelInfoEntry {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown>;
}

export function modelInfoEntry(deployment: Deployment): ModelInfoEntry {
  const p = deployment.params;
  const params: Record<string, unknown> = { model: `${deployment.provider}/${deployment.model}`, custom_llm_provider: deployment.provider };
  const apiBase = publicApiBase(p.apiBase);
  if (apiBase !== undefined) params.api_base = apiBase;
  if (p.apiVersion !== undefined) params.api_version = p.apiVersion;
  if (p.timeoutMs !== undefined) params.timeout = p.timeoutMs / 1000;
  if (p.streamTimeoutMs !== undefined) params.stream_timeout = p.streamTimeoutMs / 1000;
  for (const [key, value] of [['max_retries', p.maxRetries], ['rpm', p.rpm], ['tpm', p.tpm], ['weight', p.weight], ['order', p.order]] as const) {
    if (value !== undefined) params[key] = value;
  }
  if (p.dropParams) params.drop_params = true;
  if (p.additionalDropParams.length > 0) params.additional_drop_params = [...p.additionalDropParams];

  const declared = deployment.info.declared;
  const info: Record<string, unknown> = { id: deployment.id, db_model: false, mode: deployment.info.mode, base_model: deployment.info.baseModel ?? null, litellm_provider: deployment.provider };
  for (const key of ALWAYS_SHOWN) info[key] = null;
  for (const key of INFO_KEYS) if (isPlain(declared[key])) info[key] = declared[key];
  for (const [key, value] of Object.entries(declared)) if (key.startsWith('supports_') && typeof value === 'boolean') info[key] = value;
  return { model_name: deployment.modelName, litellm_params: params, model_info: info };
}

/**
 * One model group as LiteLLM's `/model_group/info` shows it. Context sizes are the smallest any of
 * its deployments declares (what every one of them can take), prices the highest (never an
 * under-estimate), `tpm`/`rpm` the sums, and a `supports_*` flag is true only when every
 * deployment says so.
 */
export function modelGroupInfo(group: string, deployments: readonly Deployment[]): Record<string, unknown> {
  const entries = deployments.map(modelInfoEntry);
  const values = (key: string): number[] => entries.map((e) => e.model_info[key]).filter((v): v is number => typeof v === 'number');
  const pick = (key: string, choose: (...v: number[]) => number) => {
    const found = values(key);
    return found.length === 0 ? null : choose(...found);
  };
  const sum = (get: (d: Deployment) => number | undefined): number | null => {
    const found = deployments.map(get).filter((v): v is number => v !== undefined);
    return found.length === 0 ? null : found.reduce((a, b) => a + b, 0);
  };
  const out: Record<string, unknown> = {
    model_group: group,
    providers: [...new Set(deployments.map((d) => d.provider))],
    mode: deployments[0]?.info.mode ?? null,
    max_input_tokens: pick('max_input_tokens', Math.min),
    max_output_tokens: pick('max_output_tokens', Math.min),
    input_cost_per_token: pick('input_cost_per_token', Math.max),
    output_cost_per_token: pick('output_cost_per_token', Math.max),
    tpm: sum((d) => d.params.tpm),
    rpm: sum((d) => d.params.rpm),
  };
  const flags = new Set(entries.flatMap((e) => Object.keys(e.model_info).filter((k) => k.startsWith('supports_'))));
  for (const flag of flags) out[flag] = entries.every((e) => e.model_info[flag] === true);
  return out;
}

function isPlain(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'string';
}
