import type { Logger } from '../core/index.js';

/**
 * Rounds at a fixed rate: the first at start, then at start + k × interval, however long each
 * round took (LiteLLM sleeps the interval after each round, so its period is interval + round
 * time). Rounds never overlap: a tick that finds the previous round still running is skipped, so
 * a round longer than the interval makes the period the next multiple of it.
 */
export class FixedRateSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private startedAt = 0;

  constructor(
    private readonly intervalMs: number,
    /** Runs one round; `tickAt` is the round's scheduled time (ms since the epoch). */
    private readonly round: (tickAt: number) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    this.fire(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private fire(tick: number): void {
    if (this.stopped) return;
    const tickAt = this.startedAt + tick * this.intervalMs;
    if (this.running) {
      this.logger.debug({ interval_ms: this.intervalMs }, 'health check round still running at the next tick; tick skipped');
    } else {
      this.running = true;
      this.round(tickAt)
        .catch((error: unknown) => this.logger.error({ err: error }, 'health check round failed'))
        .finally(() => (this.running = false));
    }
    // The next tick still ahead; never this one again, even if the timer fired a little early.
    const now = Date.now();
    const next = Math.max(tick + 1, Math.floor((now - this.startedAt) / this.intervalMs) + 1);
    this.timer = setTimeout(() => this.fire(next), Math.max(0, this.startedAt + next * this.intervalMs - now));
    this.timer.unref();
  }
}
