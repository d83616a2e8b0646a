import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { CancelSignal } from '../core/index.js';

/** What an upstream answered: status and headers first, then the body, whole or chunk by chunk. */
export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  /** The whole body as text (once, instead of iterating). */
  text(): Promise<string>;
  /**
   * The body as it arrives (once, instead of text()), in batches: every chunk received since the
   * reader last asked (one socket read often carries several HTTP chunks). Leaving the loop early
   * stops the call.
   */
  [Symbol.asyncIterator](): AsyncIterator<Buffer[]>;
  /** Stops the call and closes its connection. */
  abort(reason: Error): void;
}

/** Chunks queued before the reader catches up; past this the socket is paused. */
const HIGH_WATER_CHUNKS = 64;

/**
 * One upstream call driven through undici's dispatch handler API rather than `request()`: no body
 * stream object, no signal listener inside undici, chunks handed over as they come. For a proxy,
 * which does this on every request, that machinery was a visible share of the CPU.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler, UpstreamResponse {
  statusCode = 0;
  headers: IncomingHttpHeaders = {};
  private controller: Dispatcher.DispatchController | undefined;
  private chunks: Buffer[] = [];
  private ended = false;
  /** The reader stopped early on purpose (e.g. at `[DONE]`): the rest is read and dropped. */
  private discarding = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private started: ((response: UpstreamResponse) => void) | undefined;
  private failedToStart: ((error: Error) => void) | undefined;
  private readonly onAbort: () => void;

  /** Resolves when the status and headers arrive; rejects when the call fails before that. */
  readonly response: Promise<UpstreamResponse>;

  constructor(private readonly signal: CancelSignal) {
    this.response = new Promise((resolve, reject) => {
      this.started = resolve;
      this.failedToStart = reject;
    });
    this.onAbort = () => this.abort(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  }

  abort(reason: Error): void {
    if (this.controller !== undefined && !this.controller.aborted) this.controller.abort(reason);
    else this.fail(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason instanceof Error ? this.signal.reason : new Error('aborted'));
    else this.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: informational, the real answer follows
    this.statusCode = statusCode;
    this.headers = headers;
    this.started?.(this);
    this.started = undefined;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.discarding) return;
    this.chunks.push(chunk);
    if (this.wake !== undefined) this.notify();
    else if (this.chunks.length >= HIGH_WATER_CHUNKS) controller.pause();
  }

  onResponseEnd(): void {
    this.ended = true;
    this.signal.removeEventListener('abort', this.onAbort);
    this.notify();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  async text(): Promise<string> {
    while (!this.ended && this.failure === undefined) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure !== undefined) throw this.failure;
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer).toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    let completed = false;
    try {
      for (;;) {
        if (this.chunks.length > 0) {
          const batch = this.chunks;
          this.chunks = [];
          if (this.controller?.paused) this.controller.resume();
          yield batch;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        if (this.ended) {
          completed = true;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      // The reader left before the end. If the client went away, the signal has aborted the call
      // already; otherwise (it stopped at `[DONE]` or at an error event) the rest of the answer is
      // read and dropped, so that the connection goes back to the pool instead of being closed.
      if (!completed) this.discardRest();
    }
  }

  private discardRest(): void {
    this.discarding = true;
    this.chunks = [];
    if (this.controller?.paused) this.controller.resume();
  }

  private fail(error: Error): void {
    if (this.failure !== undefined || this.ended) return;
    this.failure = error;
    this.signal.removeEventListener('abort', this.onAbort);
    if (this.failedToStart !== undefined && this.started !== undefined) this.failedToStart(error);
    this.started = undefined;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
