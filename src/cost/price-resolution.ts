import type { Deployment } from '../config/index.js';
import { LibraryModel, splitModelName } from './library-price.js';
import type { DeploymentPrice, DeploymentPrices } from './price-book.js';

/** LiteLLM's per-deployment price keys (`model_info`, or `litellm_params` where `model_info` has none). */
export const OVERRIDE_KEYS = [
  'input_cost_per_token', 'output_cost_per_token', 'cache_read_input_token_cost', 'cache_creation_input_token_cost',
  'input_cost_per_second', 'output_cost_per_second',
] as const;

interface Override {
  readonly input?: number;
  readonly output?: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
  readonly inputPerSecond?: number;
  readonly outputPerSecond?: number;
}

/**
 * Every deployment's price, looked up once in the primary (at start-up and for each accepted
 * reload): LiteLLM's overrides win (field by field over the library's price of
 * `model_info.base_model`, else of the deployment's own model); otherwise the price library's.
 * A deployment with neither has no price. The result is plain data for the workers.
 */
export function resolvePrices(deployments: readonly Deployment[]): DeploymentPrices {
  const out: Record<string, DeploymentPrice> = {};
  for (const deployment of deployments) out[deployment.id] = priceOf(deployment);
  return out;
}

function priceOf(deployment: Deployment): DeploymentPrice {
  const named = deployment.info.baseModel ?? deployment.model;
  const { provider, model } = splitModelName(named, deployment.provider);
  const library = LibraryModel.find(provider, model);
  const override = readOverride(deployment.info.declared);
  if (override === undefined) {
    if (library !== undefined) return { kind: 'library', table: library.table };
    // A mock answers without calling anyone: its calls are known to cost nothing.
    if (deployment.params.mockResponse !== undefined) return { kind: 'override', perToken: undefined, inputPerSecond: 0, outputPerSecond: 0 };
    return { kind: 'unpriced', reason: `the price library has no price for ${provider}/${model}` };
  }
  const flat = library?.flat ?? {};
  const input = override.input ?? flat.input;
  const output = override.output ?? flat.output;
  const perSecond = override.inputPerSecond !== undefined || override.outputPerSecond !== undefined;
  if ((input === undefined || output === undefined) && !perSecond) {
    return { kind: 'unpriced', reason: `it sets only part of its price (${input === undefined ? 'no input' : 'no output'} price per token, and the price library has none for ${provider}/${model})` };
  }
  const perToken = input === undefined || output === undefined ? undefined : {
    input,
    output,
    cacheRead: override.cacheRead ?? flat.cacheRead ?? input,
    cacheWrite: override.cacheWrite ?? flat.cacheWrite ?? input,
  };
  return { kind: 'override', perToken, inputPerSecond: override.inputPerSecond ?? 0, outputPerSecond: override.outputPerSecond ?? 0 };
}

function readOverride(declared: Readonly<Record<string, unknown>>): Override | undefined {
  const value = (key: (typeof OVERRIDE_KEYS)[number]): number | undefined => {
    const v = declared[key];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const override: Override = {
    input: value('input_cost_per_token'),
    output: value('output_cost_per_token'),
    cacheRead: value('cache_read_input_token_cost'),
    cacheWrite: value('cache_creation_input_token_cost'),
    inputPerSecond: value('input_cost_per_second'),
    outputPerSecond: value('output_cost_per_second'),
  };
  return Object.values(override).some((v) => v !== undefined) ? override : undefined;
}
