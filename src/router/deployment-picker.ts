import type { Member } from './group-member.js';
import type { MemberView, PickRequest, Strategy } from './strategies/index.js';

/**
 * Choosing the deployment for one attempt, as a pure function of the group's members, what the
 * router knows about them (`view`) and the request (`request`). In order:
 * 1. members cooling down are out; none left → `cooling_down`;
 * 2. with health-check routing, unhealthy members are out while a healthy one remains (when none
 *    is healthy, all are tried: a stale or wrong check must not take the group down);
 * 3. with usage-based routing, members whose `rpm`/`tpm` this request would exceed are out;
 *    none left → `over_limits`;
 * 4. a member that has had its `max_retries` in this request is out (none left → `exhausted`),
 *    and members this request has already tried are out while an untried one remains;
 * 5. only the lowest `order` tier left is kept (no `order` = after every numbered tier);
 * 6. the strategy chooses among what remains.
 * Runs on every attempt: plain loops over one scratch array, no closures.
 */

export type NoPick = 'cooling_down' | 'over_limits' | 'exhausted';

export type PickResult = { member: Member; none?: undefined } | { member?: undefined; none: NoPick };

export function pickDeployment(members: readonly Member[], strategy: Strategy, view: MemberView, request: PickRequest): PickResult {
  const pool: Member[] = [];
  for (const member of members) if (!view.isCoolingDown(member)) pool.push(member);
  if (pool.length === 0) return { none: 'cooling_down' };

  if (request.healthRouting) {
    let healthy = 0;
    for (const member of pool) if (view.isHealthy(member)) healthy++;
    if (healthy > 0 && healthy < pool.length) keep(pool, (member) => view.isHealthy(member));
  }

  const tokens = request.requestTokens;
  if (tokens !== undefined) {
    keep(pool, (member) => withinLimits(member, view, tokens, request.minute));
    if (pool.length === 0) return { none: 'over_limits' };
  }

  const attempts = request.attempts;
  if (attempts !== undefined && attempts.size > 0) {
    keep(pool, (member) => (attempts.get(member) ?? 0) <= (member.deployment.params.maxRetries ?? Infinity));
    if (pool.length === 0) return { none: 'exhausted' };
    let untried = 0;
    for (const member of pool) if (!attempts.has(member)) untried++;
    if (untried > 0 && untried < pool.length) keep(pool, (member) => !attempts.has(member));
  }

  let lowest = Infinity;
  for (const member of pool) lowest = Math.min(lowest, member.deployment.params.order ?? Infinity);
  if (lowest !== Infinity) keep(pool, (member) => (member.deployment.params.order ?? Infinity) === lowest);

  return { member: strategy(pool, request, view) };
}

/** Removes, in place and in order, the members `test` rejects. */
function keep(pool: Member[], test: (member: Member) => boolean): void {
  let kept = 0;
  for (const member of pool) if (test(member)) pool[kept++] = member;
  pool.length = kept;
}

function withinLimits(member: Member, view: MemberView, tokens: number, minute: number): boolean {
  const { rpm, tpm } = member.deployment.params;
  if (rpm === undefined && tpm === undefined) return true;
  const usage = view.usage(member, minute);
  if (rpm !== undefined && usage.requests + 1 > rpm) return false;
  if (tpm !== undefined && usage.tokens + tokens > tpm) return false;
  return true;
}
