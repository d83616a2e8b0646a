import type { ServerResponse } from 'node:http';
import { GatewayError } from '../core/index.js';
import { encodeSse, SSE_DONE, type SseEvent } from '../protocol/index.js';
import type { ErrorShape } from './error-response.js';
import { errorBody } from './error-response.js';

export interface StreamOutcome {
  /** The stream ran to its end and the terminator was written. */
  completed: boolean;
  /** Set when the upstream failed after the response had begun. */
  error?: GatewayError;
  events: number;
  /** performance.now() when the first event was written. */
  firstEventAt?: number;
  /** The last event's data (usage usually rides there). */
  lastData?: string;
}

/**
 * Writes an event stream to the client with back-pressure. Events that arrive together (one
 * upstream read often carries several) leave in one write: they are gathered until the current
 * burst has been consumed (process.nextTick runs after the pending promise jobs), which turned a
 * syscall per event into one per burst. A failure after the first byte cannot change the status
 * any more, so it becomes a final error event the SDKs raise on.
 */
export async function pipeEvents(
  res: ServerResponse,
  events: AsyncIterable<SseEvent>,
  options: { shape: ErrorShape; done: boolean; onEvent?: (event: SseEvent) => void },
): Promise<StreamOutcome> {
  const outcome: StreamOutcome = { completed: false, events: 0 };
  let pending = '';
  let scheduled = false;
  let full: Promise<void> | undefined;
  const flush = () => {
    scheduled = false;
    if (pending === '' || res.destroyed) return;
    const text = pending;
    pending = '';
    if (!res.write(text)) full ??= drained(res);
  };
  try {
    for await (const event of events) {
      if (res.destroyed) return outcome;
      options.onEvent?.(event);
      if (outcome.firstEventAt === undefined) outcome.firstEventAt = performance.now();
      outcome.events++;
      outcome.lastData = event.data;
      pending += encodeSse(event);
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
      if (full !== undefined) {
        await full;
        full = undefined;
      }
    }
    if (!res.destroyed) res.end(pending + (options.done ? SSE_DONE : ''));
    outcome.completed = !res.destroyed;
  } catch (error) {
    const failure = error instanceof GatewayError ? error : new GatewayError('upstream_error', 'the upstream stream failed', { cause: error });
    outcome.error = failure;
    if (!res.destroyed && failure.code !== 'client_closed_request') {
      const body = JSON.stringify(errorBody(failure, options.shape));
      res.end(pending + encodeSse(options.shape === 'anthropic' ? { event: 'error', data: body } : { data: body }));
    }
  }
  pending = '';
  return outcome;
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
