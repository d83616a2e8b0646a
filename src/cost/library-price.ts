// The price library is the primary's alone (it resolves each deployment's price once and sends the
// plain result to the workers): nothing a worker imports may import this file (see primary.ts).
import { calcPrice, type ConditionalPrice, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import type { PriceTable, PriceTerm, PriceVariant } from './price-table.js';

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
 * One model of the library, looked up once per deployment in the primary: its prices as plain
 * data (price-table.ts) that the workers compute with, and its flat per-token prices for filling
 * gaps in an override.
 */
export class LibraryModel {
  private constructor(
    readonly table: PriceTable,
    readonly flat: FlatPrices,
  ) {}

  /** `provider:model` as the library names it, for logs and the spend row's metadata. */
  get name(): string {
    return this.table.name;
  }

  /** The model a deployment's `provider/model` (or `model_info.base_model`) names, if the library prices it. */
  static find(provider: string, model: string): LibraryModel | undefined {
    const providerId = PROVIDER_IDS[provider];
    if (providerId === undefined || model === '' || model.includes('*')) return undefined;
    const found = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId });
    if (found === null) return undefined;
    return new LibraryModel(priceTable(`${found.provider.id}:${found.model.id}`, found.model), flatPrices(found.model_price));
  }
}

/** The library's price keys that a call's usage can make non-zero; the others price usage Switchyard never reports (audio, images, searches). */
const TERMS: Readonly<Record<string, Omit<PriceTerm, 'price'>>> = {
  input_mtok: { usage: 'input', per: 1e6, direction: 'input' },
  cache_read_mtok: { usage: 'cacheRead', per: 1e6, direction: 'input' },
  cache_write_mtok: { usage: 'cacheWrite', per: 1e6, direction: 'input' },
  output_mtok: { usage: 'output', per: 1e6, direction: 'output' },
  requests_kcount: { usage: 'requests', per: 1e3, direction: 'other' },
};

/** A library model's prices (every period of them) as plain data. */
export function priceTable(name: string, info: ModelInfo): PriceTable {
  const periods: ConditionalPrice[] = Array.isArray(info.prices) ? info.prices : [{ prices: info.prices }];
  return { name, variants: periods.map((period) => ({ ...period_(period.constraint), terms: terms(period.prices) })) };
}

function terms(price: ModelPrice): PriceTerm[] {
  const out: PriceTerm[] = [];
  for (const [key, value] of Object.entries(price)) {
    const term = TERMS[key];
    if (term === undefined || value === undefined || value === null) continue;
    if (typeof value === 'number') out.push({ ...term, price: value });
    else {
      const tiered = value as { base: number; tiers: Array<{ start: number; price: number }> };
      out.push({ ...term, price: { base: tiered.base, tiers: [...tiered.tiers].sort((a, b) => a.start - b.start).map((t) => ({ start: t.start, price: t.price })) } });
    }
  }
  return out;
}

/** The library's constraints (typed, or its older untyped form) as a start time or a daily window. */
function period_(constraint: unknown): Pick<PriceVariant, 'since' | 'daily'> {
  if (constraint === undefined || constraint === null) return {};
  const c = constraint as { start_date?: string; start_time?: string; end_time?: string };
  if (c.start_date !== undefined) return { since: new Date(c.start_date).getTime() };
  if (c.start_time !== undefined && c.end_time !== undefined) return { daily: { start: secondsOfDay(c.start_time), end: secondsOfDay(c.end_time) } };
  throw new Error(`unknown price constraint ${JSON.stringify(constraint)}`);
}

/** `HH:MM:SS[.fff](Z|±HH:MM)` → seconds after midnight UTC, as the library reads it. */
function secondsOfDay(time: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(time);
  if (m === null) throw new Error(`invalid time of day ${time}`);
  const [, h, min, s, frac = '', zone, sign, zh = '00', zm = '00'] = m;
  const offset = (Number(zh) * 60 + Number(zm)) * 60;
  const local = Number(h) * 3600 + Number(min) * 60 + Number(s) + Number(`0.${frac}`);
  return (local - (zone === 'Z' ? 0 : sign === '+' ? offset : -offset) + 86_400) % 86_400;
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
