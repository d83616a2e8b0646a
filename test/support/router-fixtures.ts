import { stringify } from 'yaml';
import { loadConfigText, type Config } from '../../src/config/index.js';
import type { Clock, Random } from '../../src/core/index.js';
import { createDeploymentClient } from '../../src/providers/index.js';
import { createMember, type Member } from '../../src/router/group-member.js';

/** Real configs, real mock-provider clients, and a clock and randomness the test controls. */

export interface ModelEntry {
  name?: string;
  id: string;
  params?: Record<string, unknown>;
}

/** A config loaded through the real loader; every deployment answers with mock_response. */
export function routerConfig(models: ModelEntry[], routerSettings: Record<string, unknown> = {}): Config {
  const text = stringify({
    model_list: models.map((m) => ({
      model_name: m.name ?? 'group',
      litellm_params: { model: `openai/${m.id}`, mock_response: `answer from ${m.id}`, ...m.params },
      model_info: { id: m.id },
    })),
    router_settings: routerSettings,
  });
  const result = loadConfigText(text, 'router-test.yaml', { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value.config;
}

export function membersOf(config: Config): Member[] {
  return config.deployments.map((d) => createMember(createDeploymentClient(d, config)));
}

/** mulberry32: a small seeded generator, so a statistical test gives the same draws every run. */
export function seededRandom(seed = 42): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class ManualClock implements Clock {
  constructor(private wall = Date.UTC(2026, 0, 1, 12, 0, 0), private mono = 1_000) {}
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}

/** How often each id was chosen in `n` draws. */
export function tally(n: number, draw: () => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = draw();
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
