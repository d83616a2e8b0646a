import { calcPrice, type Provider } from '@pydantic/genai-prices';
import type { CallUsage } from './call-usage.js';

/** The price data's source, as every library-priced cost names it (a unit test keeps it in step with package.json). */
export const PRICE_LIBRARY = '@pydantic/genai-prices@0.1.8';

/**
 * Switchyard's provider families (the `provider/` prefix of `litellm_params.model`) → the price
 * library's provider ids. A family not listed here (hosted_vllm, ollama, a custom server) has no
 * price unless the config gives one: a model name alone never borrows another provider's price.
 */
const PROVIDER_IDS: Readonly<Record<string, string>> = {
  openai: 'openai', text_completion_openai: 'openai', azure: 'azure', azure_ai: 'azure', anthropic: 'anthropic',
  groq: 'groq', deepseek: 'deepseek', mistral: 'mistral', xai: 'x-ai', together_ai: 'together', fireworks_ai: 'fireworks',
  openrouter: 'openrouter', gemini: 'google', vertex_ai: 'google', bedrock: 'aws', cohere: 'cohere', perplexity: 'perplexity',
  cerebras: 'cerebras', moonshot: 'moonshotai',
};

/** Per-token prices (USD) of a library model, where they are flat; for filling gaps in an override. */
export interface FlatPrices {
  readonly input?: number;
  readonly output?: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
}

/**
 * One model of the library, looked up once per deployment at start-up: a provider holding just
 * that model, so that each call's calculation matches one model instead of searching the catalogue.
 */
export class LibraryModel {
  private constructor(
    private readonly provider: Provider,
    private readonly modelId: string,
    readonly flat: FlatPrices,
    /** `provider:model` as the library names it, for logs and the spend row's metadata. */
    readonly name: string,
  ) {}

  /** The model a deployment's `provider/model` (or `model_info.base_model`) names, if the library prices it. */
  static find(provider: string, model: string): LibraryModel | undefined {
    const providerId = PROVIDER_IDS[provider];
    if (providerId === undefined || model === '' || model.includes('*')) return undefined;
    const found = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId });
    if (found === null) return undefined;
    const { model: info, provider: owner } = found;
    const alone: Provider = { id: owner.id, name: owner.name, api_pattern: owner.api_pattern, models: [info] };
    return new LibraryModel(alone, model, flatPrices(found.model_price), `${owner.id}:${info.id}`);
  }

  /** USD for one call (tiered and cached prices as the library has them), or undefined if it cannot say. */
  cost(usage: CallUsage): number | undefined {
    try {
      const result = calcPrice(libraryUsage(usage), this.modelId, { provider: this.provider });
      return result === null ? undefined : result.total_price;
    } catch {
      // usage the library refuses (cache parts larger than the input): no cost rather than a wrong one
      return undefined;
    }
  }
}

function libraryUsage(usage: CallUsage): Record<string, number> {
  const out: Record<string, number> = { input_tokens: usage.input, output_tokens: usage.output };
  if (usage.cacheRead > 0) out.cache_read_tokens = usage.cacheRead;
  if (usage.cacheWrite > 0) out.cache_write_tokens = usage.cacheWrite;
  return out;
}

function flatPrices(price: Record<string, unknown>): FlatPrices {
  const perToken = (key: string): number | undefined => {
    const value = price[key];
    if (typeof value === 'number') return value / 1e6;
    const base = (value as { base?: unknown } | undefined)?.base;
    return typeof base === 'number' ? base / 1e6 : undefined;
  };
  return { input: perToken('input_mtok'), output: perToken('output_mtok'), cacheRead: perToken('cache_read_mtok'), cacheWrite: perToken('cache_write_mtok') };
}

/** `azure/gpt-4o` → provider and model; a name without a known prefix keeps the deployment's provider. */
export function splitModelName(name: string, provider: string): { provider: string; model: string } {
  const slash = name.indexOf('/');
  if (slash > 0 && PROVIDER_IDS[name.slice(0, slash)] !== undefined) return { provider: name.slice(0, slash), model: name.slice(slash + 1) };
  return { provider, model: name };
}
