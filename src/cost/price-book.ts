import type { Deployment } from '../config/index.js';
import type { CallUsage } from './call-usage.js';
import { LibraryModel, PRICE_LIBRARY, splitModelName, type FlatPrices } from './library-price.js';

/** LiteLLM's per-deployment price keys (`model_info`, or `litellm_params` where `model_info` has none). */
export const OVERRIDE_KEYS = [
  'input_cost_per_token', 'output_cost_per_token', 'cache_read_input_token_cost', 'cache_creation_input_token_cost',
  'input_cost_per_second', 'output_cost_per_second',
] as const;

/** A call's cost and where its price came from (`override`, or the library and its version). */
export interface CallCost {
  readonly usd: number;
  readonly source: string;
}

interface Override {
  readonly input?: number;
  readonly output?: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
  readonly inputPerSecond?: number;
  readonly outputPerSecond?: number;
}

/** How one deployment is priced, decided once at start-up. */
type DeploymentPrice =
  | { kind: 'library'; model: LibraryModel }
  | { kind: 'override'; perToken: Required<FlatPrices> | undefined; inputPerSecond: number; outputPerSecond: number }
  | { kind: 'unpriced'; reason: string };

/**
 * Every deployment's price, looked up once: LiteLLM's overrides win (field by field over the
 * library's price of `model_info.base_model`, else of the deployment's own model); otherwise the
 * price library's. A deployment with neither has no price: its calls have no cost (never $0).
 */
export class PriceBook {
  private readonly prices = new Map<string, DeploymentPrice>();

  constructor(deployments: readonly Deployment[]) {
    for (const deployment of deployments) this.prices.set(deployment.id, priceOf(deployment));
  }

  /** USD for one call on this deployment, or undefined when its price is unknown. */
  cost(deploymentId: string, usage: CallUsage, seconds: number): CallCost | undefined {
    const price = this.prices.get(deploymentId);
    if (price === undefined || price.kind === 'unpriced') return undefined;
    if (price.kind === 'library') {
      const usd = price.model.cost(usage);
      return usd === undefined ? undefined : { usd, source: PRICE_LIBRARY };
    }
    let usd = seconds * (price.inputPerSecond + price.outputPerSecond);
    const t = price.perToken;
    if (t !== undefined) {
      const uncached = Math.max(0, usage.input - usage.cacheRead - usage.cacheWrite);
      usd += uncached * t.input + usage.cacheRead * t.cacheRead + usage.cacheWrite * t.cacheWrite + usage.output * t.output;
    }
    return { usd, source: 'override' };
  }

  /** Deployments without a price, with why: one start-up warning each. */
  unpriced(deployments: readonly Deployment[]): Array<{ deployment: Deployment; reason: string }> {
    const out: Array<{ deployment: Deployment; reason: string }> = [];
    for (const deployment of deployments) {
      const price = this.prices.get(deployment.id);
      if (price?.kind === 'unpriced') out.push({ deployment, reason: price.reason });
    }
    return out;
  }

  /** Where a deployment's price comes from, for logs: `override`, the library's model, or undefined. */
  describe(deploymentId: string): string | undefined {
    const price = this.prices.get(deploymentId);
    if (price?.kind === 'library') return `${PRICE_LIBRARY} ${price.model.name}`;
    return price?.kind === 'override' ? 'override' : undefined;
  }
}

function priceOf(deployment: Deployment): DeploymentPrice {
  const named = deployment.info.baseModel ?? deployment.model;
  const { provider, model } = splitModelName(named, deployment.provider);
  const library = LibraryModel.find(provider, model);
  const override = readOverride(deployment.info.declared);
  if (override === undefined) {
    if (library !== undefined) return { kind: 'library', model: library };
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
