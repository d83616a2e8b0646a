import type { IncomingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import { GatewayError, upstreamFailure, type CancelSignal } from '../core/index.js';
import { answerDecoding } from './answer-decoding.js';

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
/** Answers declared at least this large are read whole into one buffer of their size. */
const PREALLOCATE_FROM = 64 * 1024;

export interface ExchangeLimits {
  /**
   * Bytes of answer held at once (after decoding): the whole answer for text(), the unread queue
   * for a stream. Past it the call stops with upstream_response_too_large (general_settings.max_response_size_mb).
   */
  maxBytes: number;
  /** Names the deployment in errors. */
  label: string;
}

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
  /** Bytes in `chunks`. */
  private queued = 0;
  /** text() with a declared length: the answer goes straight into one buffer of that size. */
  private collected: { buffer: Buffer; size: number } | undefined;
  /** Set when the answer has a content coding (gzip, …): raw chunks go in, decoded ones come out. */
  private decoder: Transform | undefined;
  private ended = false;
  /** The reader stopped early on purpose (e.g. at `[DONE]`): the rest is read and dropped. */
  private discarding = false;
  /**
   * text() is reading: the whole answer is wanted (up to the size limit), so the upstream is never
   * paused. A pause is for a streaming reader that lags; text() has no way to resume one, and a
   * chunked answer whose chunks came faster than text() re-armed its wake-up would hang there.
   */
  private wantsWhole = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private started: ((response: UpstreamResponse) => void) | undefined;
  private failedToStart: ((error: Error) => void) | undefined;
  private readonly onAbort: () => void;

  /** Resolves when the status and headers arrive; rejects when the call fails before that. */
  readonly response: Promise<UpstreamResponse>;

  constructor(private readonly signal: CancelSignal, private readonly limits: ExchangeLimits) {
    this.response = new Promise((resolve, reject) => {
      this.started = resolve;
      this.failedToStart = reject;
    });
    this.onAbort = () => this.abort(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  }

  abort(reason: Error): void {
    // Failed first: a controller whose answer has ended (a decoder still flushing) reports nothing more.
    this.fail(reason);
    if (this.controller !== undefined && !this.controller.aborted) this.controller.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason instanceof Error ? this.signal.reason : new Error('aborted'));
    else this.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: informational, the real answer follows
    this.statusCode = statusCode;
    const decoding = answerDecoding(headers['content-encoding']);
    if (decoding.kind === 'unsupported') {
      this.abort(upstreamFailure('upstream_invalid_response', `${this.limits.label} answered with content-encoding "${decoding.coding}", which the gateway cannot decode`));
      return;
    }
    if (decoding.kind === 'decoded') {
      // What the reader gets is decoded: neither the coding nor the encoded length applies to it.
      const { 'content-encoding': _coding, 'content-length': _length, ...rest } = headers;
      this.headers = rest;
      this.decode(decoding.decoder, decoding.coding);
    } else {
      this.headers = headers;
      if (Number(headers['content-length']) > this.limits.maxBytes) {
        this.abort(this.tooLarge());
        return;
      }
    }
    this.started?.(this);
    this.started = undefined;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.decoder !== undefined) this.decoder.write(chunk);
    else this.accept(chunk);
  }

  onResponseEnd(): void {
    if (this.decoder !== undefined) this.decoder.end(); // finishes once the decoder has flushed
    else this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  async text(): Promise<string> {
    this.wantsWhole = true;
    if (this.controller?.paused) this.controller.resume();
    this.collectWhole();
    while (!this.ended && this.failure === undefined) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure !== undefined) throw this.failure;
    const collected = this.collected;
    this.collected = undefined;
    if (collected !== undefined) return collected.buffer.toString('utf8', 0, collected.size);
    const chunks = this.chunks;
    this.chunks = [];
    return chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    let completed = false;
    try {
      for (;;) {
        if (this.chunks.length > 0) {
          const batch = this.chunks;
          this.chunks = [];
          this.queued = 0;
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

  /** A chunk of the answer as the reader will see it (decoded), within the size limit. */
  private accept(chunk: Buffer): void {
    if (this.discarding || this.failure !== undefined) return;
    const collected = this.collected;
    if (collected !== undefined && collected.size + chunk.length <= collected.buffer.length) {
      chunk.copy(collected.buffer, collected.size);
      collected.size += chunk.length;
      return; // text() waits for the end; no need to wake it per chunk
    }
    if (collected !== undefined) { // longer than declared (undici would fail it; stay correct meanwhile)
      this.chunks = [collected.buffer.subarray(0, collected.size)];
      this.queued = collected.size;
      this.collected = undefined;
    }
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (this.queued > this.limits.maxBytes) return this.abort(this.tooLarge());
    if (this.wake !== undefined) this.notify();
    else if (!this.wantsWhole && this.chunks.length >= HIGH_WATER_CHUNKS && this.controller?.paused === false) this.controller.pause();
  }

  /** text() on an answer of declared length: what is queued and what follows go into one buffer. */
  private collectWhole(): void {
    const declared = Number(this.headers['content-length']);
    if (this.decoder !== undefined || !(declared >= PREALLOCATE_FROM && declared <= this.limits.maxBytes)) return;
    const buffer = Buffer.allocUnsafe(declared);
    let size = 0;
    for (const chunk of this.chunks) size += chunk.copy(buffer, size);
    this.chunks = [];
    this.queued = 0;
    this.collected = { buffer, size };
    if (this.controller?.paused) this.controller.resume();
  }

  private decode(decoder: Transform, coding: string): void {
    this.decoder = decoder;
    decoder.on('data', (chunk: Buffer) => this.accept(chunk));
    decoder.once('end', () => this.finish());
    decoder.once('error', (error: Error) => {
      this.abort(upstreamFailure('upstream_invalid_response', `${this.limits.label} answered a body that does not decode as ${coding}: ${error.message}`));
    });
  }

  private finish(): void {
    if (this.failure !== undefined) return;
    this.ended = true;
    this.signal.removeEventListener('abort', this.onAbort);
    this.notify();
  }

  /**
   * Of the gateway's making (origin gateway): the size of an answer follows from what the client
   * asked, so it is neither retried nor charged to the deployment.
   */
  private tooLarge(): GatewayError {
    const mb = this.limits.maxBytes / (1024 * 1024);
    return new GatewayError('upstream_response_too_large', `${this.limits.label} answered more than ${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB (general_settings.max_response_size_mb)`);
  }

  private discardRest(): void {
    this.discarding = true;
    this.chunks = [];
    this.queued = 0;
    if (this.controller?.paused) this.controller.resume();
  }

  private fail(error: Error): void {
    if (this.failure !== undefined || this.ended) return;
    this.failure = error;
    this.collected = undefined;
    this.decoder?.destroy();
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
