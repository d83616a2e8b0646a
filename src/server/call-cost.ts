import type { CallCost, PriceBook } from '../cost/index.js';
import type { SseEvent } from '../protocol/index.js';
import type { RequestContext } from './request-context.js';

/** LiteLLM's header with the call's cost in USD (non-streaming answers; left out when the price is unknown). */
export const RESPONSE_COST_HEADER = 'x-litellm-response-cost';

/**
 * Prices the call once its usage is known: `ctx.cost` becomes its cost, or null when its
 * deployment has no price (never $0). A request without usage (failed, or an answer without it)
 * stays unpriced (undefined).
 */
export function priceCall(ctx: RequestContext, prices: PriceBook): CallCost | null | undefined {
  if (ctx.cost !== undefined) return ctx.cost;
  if (ctx.usage === undefined || ctx.deployment === undefined) return undefined;
  ctx.cost = prices.cost(ctx.deployment.id, ctx.usage, (performance.now() - ctx.startedAt) / 1000) ?? null;
  return ctx.cost;
}

/** Prices a whole answer and puts its cost in the response headers. */
export function addCostHeader(ctx: RequestContext, prices: PriceBook): void {
  const cost = priceCall(ctx, prices);
  if (cost != null) ctx.headers.push(RESPONSE_COST_HEADER, String(cost.usd));
}

/**
 * For an OpenAI stream whose client did not ask for usage: the gateway asked the upstream for it
 * (to price the call), so the client must not see it. The usage-only chunk is dropped; a chunk
 * that also carries choices loses its usage; the `"usage":null` the others carry goes too.
 *
 * Runs on every event of such a stream, so it reads the chunk once: one search for `usage":`
 * (without the opening quote, see mayCarryUsage), each match checked in place. Two searches for
 * `"usage":{` and `,"usage":null` and a `replace` cost ~2,700 instructions per event (measured
 * with callgrind, docs/benchmarks.md).
 */
export function withoutUsage(event: SseEvent): SseEvent | null {
  const data = event.data;
  let nullField = -1;
  for (let at = data.indexOf(USAGE_KEY); at !== -1; at = data.indexOf(USAGE_KEY, at + USAGE_KEY.length)) {
    if (data.charCodeAt(at - 1) !== QUOTE) continue; // a key that ends in usage
    const value = at + USAGE_KEY.length;
    if (data.charCodeAt(value) === OPEN_BRACE) return withoutUsageObject(event);
    if (nullField === -1 && data.charCodeAt(at - 2) === COMMA && data.startsWith('null', value)) nullField = at - 2;
  }
  if (nullField === -1) return event;
  return { ...event, data: data.slice(0, nullField) + data.slice(nullField + NULL_FIELD.length) };
}

const USAGE_KEY = 'usage":';
const NULL_FIELD = ',"usage":null';
const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;

function withoutUsageObject(event: SseEvent): SseEvent | null {
  let chunk: { choices?: unknown; usage?: unknown };
  try {
    chunk = JSON.parse(event.data) as { choices?: unknown; usage?: unknown };
  } catch {
    return event;
  }
  if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return null;
  delete chunk.usage;
  return { ...event, data: JSON.stringify(chunk) };
}
