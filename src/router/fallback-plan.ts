import type { RouterSettings } from '../config/index.js';
import type { FailureKind } from './failure-kind.js';

/**
 * Which model group to try next when one has failed. Lists chain: when a fallback group fails
 * too, its own fallbacks join the queue (breadth first, so the order the user wrote for the
 * group they asked for comes first). A group is never tried twice in one request (loops such as
 * a → b → a end), and at most MAX_FALLBACKS groups are tried after the first.
 *
 * The list for a failure: context-window and content-policy failures use their own lists when the
 * group has one, else the general `fallbacks`; the general list is the group's entry, else the
 * `"*"` entry, else `default_fallbacks`. A plain bad request, a failure of the gateway's own or a
 * caller that went away has no fallback: another model would fail the same way, or no one is waiting.
 */

export const MAX_FALLBACKS = 5;

type FallbackSettings = Pick<RouterSettings, 'fallbacks' | 'contextWindowFallbacks' | 'contentPolicyFallbacks' | 'defaultFallbacks'>;

export class FallbackPlan {
  private readonly visited = new Set<string>();
  private readonly queue: string[] = [];
  /** Fallback groups handed out so far. */
  hops = 0;

  constructor(private readonly settings: FallbackSettings, firstGroup: string, private readonly exists: (group: string) => boolean) {
    this.visited.add(firstGroup);
  }

  /** The next group to try after `failedGroup` failed with `kind`, or undefined: give up. */
  next(failedGroup: string, kind: FailureKind): string | undefined {
    for (const group of fallbacksFor(this.settings, failedGroup, kind)) {
      if (!this.visited.has(group) && this.exists(group)) {
        this.visited.add(group);
        this.queue.push(group);
      }
    }
    if (this.hops >= MAX_FALLBACKS) return undefined;
    const group = this.queue.shift();
    if (group !== undefined) this.hops++;
    return group;
  }
}

export function fallbacksFor(settings: FallbackSettings, group: string, kind: FailureKind): readonly string[] {
  switch (kind) {
    case 'bad_request':
    case 'internal':
    case 'client_closed':
      return [];
    case 'context_window':
      return settings.contextWindowFallbacks[group] ?? generalFallbacks(settings, group);
    case 'content_policy':
      return settings.contentPolicyFallbacks[group] ?? generalFallbacks(settings, group);
    default:
      return generalFallbacks(settings, group);
  }
}

function generalFallbacks(settings: FallbackSettings, group: string): readonly string[] {
  return settings.fallbacks[group] ?? settings.fallbacks['*'] ?? settings.defaultFallbacks;
}
