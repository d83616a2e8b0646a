import type { Random } from '../../core/index.js';
import type { Member } from '../group-member.js';
import type { Usage } from '../usage-counter.js';

/** What the router knows about members, long-lived (one per router): no closures per pick. */
export interface MemberView {
  isCoolingDown(member: Member): boolean;
  isHealthy(member: Member): boolean;
  /** Usage in a wall-clock minute (usage-based routing). */
  usage(member: Member, minute: number): Usage;
}

/** One pick's inputs. Pure: time and randomness come in here. */
export interface PickRequest {
  random: Random;
  /** Monotonic milliseconds. */
  now: number;
  /** The call is a stream (latency-based routing then compares time to first event). */
  stream: boolean;
  /** Latency-based routing: members within (1 + buffer) × the fastest share the load. */
  latencyBuffer: number;
  /** Health-check routing is on: unhealthy members are avoided. */
  healthRouting: boolean;
  /** Attempts this request has made on each member so far. */
  attempts: ReadonlyMap<Member, number> | undefined;
  /** Usage-based routing: input tokens this request is expected to use; undefined: limits not enforced. */
  requestTokens: number | undefined;
  /** Usage-based routing: the wall-clock minute usage is counted in (read once per pick: clocks cost). */
  minute: number;
}

/** Chooses one member of a non-empty pool (already filtered to the ones allowed to serve). */
export type Strategy = (pool: readonly Member[], request: PickRequest, view: MemberView) => Member;

/**
 * Uniform choice among the pool members `isCandidate` accepts (reservoir sampling: no array is
 * built). Falls back to the first member when none is accepted.
 */
export function pickAmong(pool: readonly Member[], random: Random, isCandidate: (member: Member) => boolean): Member {
  let chosen: Member | undefined;
  let seen = 0;
  for (const member of pool) {
    if (!isCandidate(member)) continue;
    seen++;
    if (seen === 1 || random() * seen < 1) chosen = member;
  }
  return chosen ?? (pool[0] as Member);
}
