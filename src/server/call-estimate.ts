import type { Config, Deployment } from '../config/index.js';
import type { PriceBook } from '../cost/index.js';
import type { CallEstimate } from '../limits/index.js';
import { fallbacksFor } from '../router/index.js';

/** What a limited route calls: decides which body fields are input and which bound the output. */
export type CallKind = 'chat' | 'completion' | 'embedding' | 'messages' | 'responses';

/** A model's output limit when neither the request nor the deployment's `model_info` gives one. */
export const DEFAULT_OUTPUT_LIMIT = 32_768;

/** Body fields bounding the output, first found wins. */
const OUTPUT_FIELDS: Readonly<Record<CallKind, readonly string[]>> = {
  chat: ['max_completion_tokens', 'max_tokens'],
  completion: ['max_tokens'],
  embedding: [],
  messages: ['max_tokens'],
  responses: ['max_output_tokens'],
};

type Body = Record<string, unknown>;

/** The failures whose fallback lists differ: any other kind that has fallbacks uses the general list, as `transient` does. */
const FALLBACK_KINDS = ['transient', 'context_window', 'content_policy'] as const;

/**
 * A call's maximum cost before it is sent, for the budget's reservation (src/limits): input
 * tokens bounded by the request body's bytes. Every token of a byte-level BPE or SentencePiece
 * vocabulary (OpenAI's, Anthropic's, Gemini's, Llama's) covers at least one byte of the decoded
 * text, and the input fields' text is part of the body, which JSON escaping only makes longer: a
 * bound for every provider, where a tokenizer counts for one family only and costs each worker
 * ~70 MB and 0.7 s to load. For English text it is about four times the real count, which only
 * makes a reservation near the budget wait sooner; it costs nothing to know (no serialization
 * of a long conversation per call). Output at its maximum (`max_tokens` or
 * `max_completion_tokens`, times `n`; else the deployment's `model_info.max_output_tokens`, else
 * 32,768), priced at the dearest deployment the call can reach: its model group's and those of
 * every fallback group reachable from it. Unpriced deployments count nothing (their calls have no
 * cost either). The tokens counted against tpm until the call settles are estimated at four
 * bytes of the body a token (the settlement puts the real count in their place).
 */
export class CallEstimator {
  private readonly byGroup = new Map<string, Deployment[]>();
  private readonly reachable = new Map<string, readonly Deployment[]>();

  constructor(private readonly config: Config, private readonly prices: PriceBook) {
    for (const deployment of config.deployments) {
      const list = this.byGroup.get(deployment.modelName) ?? [];
      list.push(deployment);
      this.byGroup.set(deployment.modelName, list);
    }
  }

  /** `bodyBytes`: the request body's size as received (the JSON text, never compressed). */
  estimate(kind: CallKind, body: Body, bodyBytes: number, priced: boolean): CallEstimate {
    const tokens = Math.ceil(bodyBytes / 4);
    if (!priced) return { maxCostUsd: 0, tokens };
    const group = typeof body.model === 'string' ? body.model : '';
    const deployments = this.reachableFrom(group);
    const input = bodyBytes;
    const requested = kind === 'embedding' ? 0 : positive(OUTPUT_FIELDS[kind].map((f) => body[f]).find((v) => v !== undefined && v !== null));
    const choices = Math.max(1, positive(body.n) ?? 1, kind === 'completion' ? positive(body.best_of) ?? 1 : 1);
    let maxCostUsd = 0;
    for (const deployment of deployments) {
      const output = (requested ?? outputLimit(deployment)) * choices;
      const cost = this.prices.cost(deployment.id, { input, output, cacheRead: 0, cacheWrite: 0 }, 0);
      if (cost !== undefined && cost.usd > maxCostUsd) maxCostUsd = cost.usd;
    }
    return { maxCostUsd, tokens };
  }

  /** The group's deployments and those of every fallback group reachable from it (any failure kind). */
  private reachableFrom(group: string): readonly Deployment[] {
    const known = this.reachable.get(group);
    if (known !== undefined) return known;
    const seen = new Set<string>([group]);
    const queue = [group];
    const out: Deployment[] = [];
    while (queue.length > 0) {
      const next = queue.shift()!;
      out.push(...(this.byGroup.get(next) ?? []));
      // The router's own rule for each kind of failure that has fallbacks (router/fallback-plan.ts).
      const fallbacks = FALLBACK_KINDS.flatMap((kind) => fallbacksFor(this.config.router, next, kind));
      for (const fallback of fallbacks) {
        if (!seen.has(fallback) && this.byGroup.has(fallback)) {
          seen.add(fallback);
          queue.push(fallback);
        }
      }
    }
    if (this.byGroup.has(group)) this.reachable.set(group, out); // unknown names are not remembered: a flood of them stays unbounded otherwise
    return out;
  }
}

function outputLimit(deployment: Deployment): number {
  const declared = deployment.info.declared;
  return positive(declared.max_output_tokens) ?? positive(declared.max_tokens) ?? DEFAULT_OUTPUT_LIMIT;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
}
