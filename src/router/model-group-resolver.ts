/**
 * Which model group answers a requested model name, when model names may be patterns
 * (`"*"`, `openai/*`, `claude-*`, `team/*`). As in LiteLLM: an exact name wins; otherwise the
 * most specific matching pattern, which is the longest one, then the one with more `*`, then the
 * first in the config. Each `*` matches any text (greedy, as LiteLLM's `(.*)`); every other
 * character matches itself (LiteLLM feeds the rest to a regular expression unescaped, so a `.`
 * there matches any character: a plain reading is the one a config author means).
 *
 * Pure: no clock, no I/O; the router calls it once per request.
 */

export interface ResolvedModelGroup {
  /** The model group: the requested name itself, or the pattern that matched it. */
  group: string;
  /** What each `*` of the pattern matched, in order; empty for an exact name. */
  segments: readonly string[];
}

export function isModelGroupPattern(name: string): boolean {
  return name.includes('*');
}

export class ModelGroupResolver {
  private readonly exact = new Set<string>();
  private readonly patterns: Array<{ name: string; regex: RegExp }> = [];

  constructor(groups: Iterable<string>) {
    const patterns: string[] = [];
    for (const name of groups) {
      if (isModelGroupPattern(name)) patterns.push(name);
      else this.exact.add(name);
    }
    // Array.prototype.sort is stable: equal specificity keeps config order.
    patterns.sort((a, b) => b.length - a.length || wildcards(b) - wildcards(a));
    for (const name of patterns) this.patterns.push({ name, regex: patternRegex(name) });
  }

  resolve(requested: string): ResolvedModelGroup | undefined {
    if (this.exact.has(requested)) return { group: requested, segments: [] };
    for (const { name, regex } of this.patterns) {
      const match = regex.exec(requested);
      if (match) return { group: name, segments: match.slice(1) };
    }
    return undefined;
  }
}

/**
 * The upstream model of a deployment reached through a pattern: its `*`s take the matched
 * segments in order (`team/*` → `openai/*`: `team/gpt-4o` is sent as `gpt-4o`). A deployment model
 * without `*` is used as written. When the pattern has more `*` than the deployment model, the
 * requested name is sent as it is (LiteLLM does the same).
 */
export function upstreamModelFor(deploymentModel: string, resolved: ResolvedModelGroup, requested: string): string {
  if (!deploymentModel.includes('*') || resolved.segments.length === 0) return deploymentModel;
  if (resolved.segments.length > wildcards(deploymentModel)) return requested;
  let model = deploymentModel;
  for (const segment of resolved.segments) model = model.replace('*', () => segment);
  return model;
}

function wildcards(text: string): number {
  return text.split('*').length - 1;
}

function patternRegex(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('(.*)');
  return new RegExp(`^${body}$`, 's');
}
