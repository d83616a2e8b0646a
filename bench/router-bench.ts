import { stringify } from 'yaml';
import { loadConfigText, type Config, type RoutingStrategy } from '../src/config/index.js';
import { ROUTING_STRATEGIES } from '../src/config/schema.js';
import { systemRandom } from '../src/core/index.js';
import type { ChatCompletionRequest } from '../src/protocol/index.js';
import type * as DeploymentPicker from '../src/router/deployment-picker.js';
import type * as GroupMember from '../src/router/group-member.js';
import type { Member } from '../src/router/group-member.js';
import type * as Providers from '../src/providers/index.js';
import type * as RouterModule from '../src/router/index.js';
import type * as Strategies from '../src/router/strategies/index.js';
import type { MemberView } from '../src/router/strategies/index.js';
import type * as UsageCounterModule from '../src/router/usage-counter.js';

// The code under test comes from dist/ (what production runs, compiled by tsc): under tsx every
// named closure is wrapped in a keep-names helper, which would be measured too.
const dist = new URL('../dist/', import.meta.url).href;
const load = (path: string): Promise<unknown> => import(dist + path);
const { createDeploymentClient } = (await load('providers/index.js')) as typeof Providers;
const { Router } = (await load('router/index.js')) as typeof RouterModule;
const { pickDeployment } = (await load('router/deployment-picker.js')) as typeof DeploymentPicker;
const { createMember, recordLatency } = (await load('router/group-member.js')) as typeof GroupMember;
const { STRATEGIES } = (await load('router/strategies/index.js')) as typeof Strategies;
const { UsageCounter } = (await load('router/usage-counter.js')) as typeof UsageCounterModule;

/**
 * `npm run bench:router`: the cost of routing in a model group of 10 deployments, per strategy.
 * - pick: one call of the pure selection (filters, tiers, strategy) as the router makes it;
 * - route: Router.chat over 10 mock deployments minus calling a mock deployment directly, i.e.
 *   everything the router adds to a request that succeeds first time.
 * Prints microseconds per operation; asserts nothing. Target: a few microseconds per pick.
 * Builds first (npm script), since it measures dist/.
 */

const GROUP_SIZE = 10;
const PICKS = Number(process.env.BENCH_PICKS ?? 1_000_000);
const ROUTES = Number(process.env.BENCH_ROUTES ?? 200_000);

function config(strategy: RoutingStrategy): Config {
  const text = stringify({
    model_list: Array.from({ length: GROUP_SIZE }, (_, i) => ({
      model_name: 'bench',
      // Hints every strategy reads: weights for simple-shuffle, limits for usage-based routing.
      litellm_params: { model: `openai/bench-${i}`, mock_response: 'ok', weight: 1 + (i % 3), rpm: 1_000_000_000, tpm: 1_000_000_000_000 },
      model_info: { id: `bench-${i}` },
    })),
    router_settings: { routing_strategy: strategy },
  });
  const loaded = loadConfigText(text, 'bench.yaml', { env: {} });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.value.config;
}

function microsPer(count: number, run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1_000 / count;
}

async function microsPerAsync(count: number, run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1_000 / count;
}

function benchPick(strategy: RoutingStrategy): number {
  const cfg = config(strategy);
  const members: Member[] = cfg.deployments.map((d) => createMember(createDeploymentClient(d, cfg)));
  const usage = new UsageCounter({ now: () => Date.now(), monotonic: () => performance.now() });
  members.forEach((member, i) => {
    member.inFlight = i % 4;
    recordLatency(member.latency, false, 200 + i * 7, performance.now());
    usage.record(member.deployment.id, 10 + i, 1_000 + 37 * i);
  });
  const usageBased = strategy === 'usage-based-routing-v2';
  const attempts = new Map<Member, number>();
  const cooling = new Set<string>(['bench-3']);
  // As the router holds it: one view for its lifetime, one plain request object per pick.
  const view: MemberView = {
    isCoolingDown: (member) => cooling.has(member.deployment.id),
    isHealthy: () => true,
    usage: (member, minute) => usage.usage(member.deployment.id, minute),
  };
  const chosen = STRATEGIES[strategy];
  let sink = 0;
  const pickOnce = () => {
    const pick = pickDeployment(members, chosen, view, {
      random: systemRandom,
      now: performance.now(),
      stream: false,
      latencyBuffer: 0.1,
      healthRouting: false,
      attempts,
      requestTokens: usageBased ? 25 : undefined,
      minute: usageBased ? usage.currentMinute() : 0,
    });
    sink += pick.member === undefined ? 0 : 1;
  };
  for (let i = 0; i < 100_000; i++) pickOnce(); // warm up the JIT
  const micros = microsPer(PICKS, () => {
    for (let i = 0; i < PICKS; i++) pickOnce();
  });
  if (sink === 0) throw new Error('nothing was picked');
  return micros;
}

async function benchRoute(strategy: RoutingStrategy): Promise<{ routed: number; direct: number }> {
  const cfg = config(strategy);
  const clients = cfg.deployments.map((d) => createDeploymentClient(d, cfg));
  const router = new Router(cfg, clients);
  const request: ChatCompletionRequest = { model: 'bench', messages: [{ role: 'user', content: 'Say something short.' }] };
  const ctx = { signal: new AbortController().signal, requestId: 'bench' };
  const direct = clients[0]!;
  const routeOnce = async () => {
    await router.chat(request, ctx);
  };
  const directOnce = async () => {
    await direct.chat(request, ctx);
  };
  for (let i = 0; i < 20_000; i++) {
    await routeOnce();
    await directOnce();
  }
  const routed = await microsPerAsync(ROUTES, async () => {
    for (let i = 0; i < ROUTES; i++) await routeOnce();
  });
  const directMicros = await microsPerAsync(ROUTES, async () => {
    for (let i = 0; i < ROUTES; i++) await directOnce();
  });
  router.close();
  return { routed, direct: directMicros };
}

async function main(): Promise<void> {
  console.log(`router cost in a group of ${GROUP_SIZE} deployments (node ${process.version}; ${PICKS.toLocaleString()} picks, ${ROUTES.toLocaleString()} routed calls per strategy)\n`);
  console.log('strategy                  pick µs   route µs (router.chat − direct mock call)');
  for (const strategy of ROUTING_STRATEGIES) {
    const pick = benchPick(strategy);
    const { routed, direct } = await benchRoute(strategy);
    console.log(`${strategy.padEnd(24)}  ${pick.toFixed(3).padStart(7)}   ${(routed - direct).toFixed(3).padStart(8)}  (${routed.toFixed(2)} − ${direct.toFixed(2)})`);
  }
}

await main();
