import type { Config } from '../config/index.js';
import { PriceBook, type DeploymentPrices } from './price-book.js';
import { resolvePrices } from './price-resolution.js';

/**
 * The deployments whose calls will have no cost, in one warning naming each with why (start-up
 * log and `--validate_config`, one warning per kind as for every config warning): a missing price
 * is said once, loudly, instead of every call costing a silent $0. Undefined when all are priced.
 */
export function unpricedWarning(config: Config, prices: DeploymentPrices = resolvePrices(config.deployments)): string | undefined {
  const unpriced = new PriceBook(prices).unpriced(config.deployments);
  if (unpriced.length === 0) return undefined;
  const each = unpriced.map(({ deployment, reason }) => `model_list[${deployment.index}] (model group "${deployment.modelName}", deployment ${deployment.id}): ${reason}`);
  return `deployments without a price, so their calls will have no cost (set input_cost_per_token and output_cost_per_token, or model_info.base_model to the model served): ${each.join('; ')}`;
}
