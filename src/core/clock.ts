/** Injected time, so that routing, cooldowns and schedules can be tested without waiting. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** Uniform random number in [0, 1); injected wherever a choice must be testable. */
export type Random = () => number;

export const systemRandom: Random = Math.random;
