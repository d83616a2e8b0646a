/**
 * Exponential back-off for repeated failures (crashes, replacements that never become ready):
 * 0 for the first failure, then base·2^(n-1) up to a cap; the count resets after a stable period.
 */
export class Backoff {
  private failures = 0;
  private lastFailureAt = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly capMs = 30_000,
    private readonly stableMs = 60_000,
  ) {}

  /** Records a failure at `now` and returns how long to wait before trying again. */
  next(now: number): number {
    if (now - this.lastFailureAt > this.stableMs) this.failures = 0;
    this.lastFailureAt = now;
    this.failures++;
    if (this.failures === 1) return 0;
    return Math.min(this.capMs, this.baseMs * 2 ** (this.failures - 2));
  }

  get count(): number {
    return this.failures;
  }
}
