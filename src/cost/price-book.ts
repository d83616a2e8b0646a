import type { CallUsage } from './call-usage.js';
import { tableCost, type PriceTable } from './price-table.js';

/** The price data's source, as every library-priced cost names it (a unit test keeps it in step with package.json). */
export const PRICE_LIBRARY = '@pydantic/genai-prices@0.1.8';

/** A call's cost and where its price came from (`override`, or the library and its version). */
export interface CallCost {
  readonly usd: number;
  readonly source: string;
}

/** Per-token prices (USD) of an override, gaps filled from the library's flat prices. */
export interface TokenPrices {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

/** How one deployment is priced, decided once in the primary (price-resolution.ts): plain data, sent to every worker. */
export type DeploymentPrice =
  | { readonly kind: 'library'; readonly table: PriceTable }
  | { readonly kind: 'override'; readonly perToken: TokenPrices | undefined; readonly inputPerSecond: number; readonly outputPerSecond: number }
  | { readonly kind: 'unpriced'; readonly reason: string };

/** Every deployment's price by deployment id, as the listen and reload messages carry it. */
export type DeploymentPrices = Readonly<Record<string, DeploymentPrice>>;

/**
 * The worker's prices: what the primary resolved for each deployment, computed without the price
 * library. A deployment with no price has no cost (never $0).
 */
export class PriceBook {
  private readonly prices = new Map<string, DeploymentPrice>();

  constructor(prices: DeploymentPrices = {}) {
    this.add(prices);
  }

  /** Adds the prices of a reloaded config (its deployments' ids are new where their entries changed). */
  add(prices: DeploymentPrices): void {
    for (const [id, price] of Object.entries(prices)) this.prices.set(id, price);
  }

  /** USD for one call on this deployment, or undefined when its price is unknown. */
  cost(deploymentId: string, usage: CallUsage, seconds: number): CallCost | undefined {
    const price = this.prices.get(deploymentId);
    if (price === undefined || price.kind === 'unpriced') return undefined;
    if (price.kind === 'library') {
      const usd = tableCost(price.table, usage, Date.now());
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
  unpriced<D extends { readonly id: string }>(deployments: readonly D[]): Array<{ deployment: D; reason: string }> {
    const out: Array<{ deployment: D; reason: string }> = [];
    for (const deployment of deployments) {
      const price = this.prices.get(deployment.id);
      if (price?.kind === 'unpriced') out.push({ deployment, reason: price.reason });
    }
    return out;
  }

  /** Where a deployment's price comes from, for logs: `override`, the library's model, or undefined. */
  describe(deploymentId: string): string | undefined {
    const price = this.prices.get(deploymentId);
    if (price?.kind === 'library') return `${PRICE_LIBRARY} ${price.table.name}`;
    return price?.kind === 'override' ? 'override' : undefined;
  }
}
