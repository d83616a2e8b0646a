import type { CallUsage } from './call-usage.js';

/**
 * A library model's price as plain data: what the primary resolves once per deployment from the
 * price library (library-price.ts) and sends to each worker, so that a worker neither loads the
 * library (~15 MB of price data) nor pays its general calculation per call (15-42 µs; this one
 * is ~1 µs). It computes exactly what the library's `calcPrice` does for a call's usage (same
 * operations in the same order, so the same floating-point result: a unit test compares the two
 * over every model of the library).
 */

/** USD per `per` units: a flat price, or tiers chosen by the call's whole input (the library's `TieredPrices`). */
export type UnitPrice = number | { readonly base: number; readonly tiers: ReadonlyArray<{ readonly start: number; readonly price: number }> };

/** One priced part of a call. `input` is the input left after the parts priced on their own (cache reads, writes). */
export interface PriceTerm {
  readonly usage: 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'requests';
  readonly price: UnitPrice;
  /** Units the price is for (1e6 tokens, 1e3 requests). */
  readonly per: number;
  readonly direction: 'input' | 'output' | 'other';
}

/** The prices of one period: from a date, or a time of day (UTC seconds since midnight, `end` may wrap). */
export interface PriceVariant {
  readonly since?: number;
  readonly daily?: { readonly start: number; readonly end: number };
  /** In the library's key order: sums are taken in that order, as the library does. */
  readonly terms: readonly PriceTerm[];
}

export interface PriceTable {
  /** `provider:model` as the library names it. */
  readonly name: string;
  /** Several when the price changed on a date or depends on the time of day; the library's order. */
  readonly variants: readonly PriceVariant[];
}

/** USD for one call at `nowMs`, or undefined where the library would refuse the usage (cached parts larger than the input). */
export function tableCost(table: PriceTable, usage: CallUsage, nowMs: number): number | undefined {
  const { terms } = variantAt(table.variants, nowMs);
  let readPriced = false;
  let writePriced = false;
  let tiered = false;
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i]!;
    if (term.usage === 'cacheRead') readPriced = true;
    else if (term.usage === 'cacheWrite') writePriced = true;
    if (typeof term.price !== 'number') tiered = true;
  }
  // The library's leaves: input less the parts priced on their own (only those the model prices).
  const parts = (readPriced ? usage.cacheRead : 0) + (writePriced ? usage.cacheWrite : 0);
  let uncached = usage.input - parts;
  if (uncached < 0) {
    if (Math.abs(uncached) > Number.EPSILON * Math.max(1, usage.input, parts) * (terms.length + 1)) return undefined;
    uncached = 0;
  }
  const threshold = tiered ? usage.input : 0;
  let input = 0;
  let output = 0;
  let other = 0;
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i]!;
    const count = term.usage === 'input' ? uncached : term.usage === 'requests' ? 1 : usage[term.usage];
    const usd = termCost(term.price, count, threshold, term.per);
    if (term.direction === 'input') input += usd;
    else if (term.direction === 'output') output += usd;
    else other += usd;
  }
  return input + output + other;
}

function termCost(price: UnitPrice, count: number, threshold: number, per: number): number {
  if (typeof price === 'number') return price * count / per;
  if (count <= 0) return 0;
  let rate = price.base;
  for (const tier of price.tiers) if (threshold > tier.start) rate = tier.price;
  return rate * count / 1e6 * 1e6 / per;
}

/** The library's choice of prices for a moment: the last variant whose period holds it, else the first. */
function variantAt(variants: readonly PriceVariant[], nowMs: number): PriceVariant {
  if (variants.length === 1) return variants[0]!;
  for (let i = variants.length - 1; i >= 0; i--) {
    const variant = variants[i]!;
    if (variant.since === undefined && variant.daily === undefined) return variant;
    if (variant.since !== undefined) {
      if (nowMs >= variant.since) return variant;
    } else if (variant.daily !== undefined) {
      const d = new Date(nowMs);
      const seconds = d.getUTCHours() * 3600 + d.getUTCMinutes() * 60 + d.getUTCSeconds() + d.getUTCMilliseconds() / 1e3;
      const { start, end } = variant.daily;
      if (end < start ? seconds >= start || seconds < end : seconds >= start && seconds < end) return variant;
    }
  }
  return variants[0]!;
}
