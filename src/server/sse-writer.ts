import type { ServerResponse } from 'node:http';
import { GatewayError } from '../core/index.js';
import { encodeSse, SSE_DONE, type SseEvent } from '../protocol/index.js';
import type { ErrorShape } from './error-response.js';
import { errorBody } from './error-response.js';

export interface StreamOutcome {
  /** Set when the upstream failed after the response had begun. */
  error?: GatewayError;
  /** performance.now() when the first event was written. */
  firstEventAt?: number;
  /** What was thrown when it was not a GatewayError (then `error` is an `internal_error`). */
  bug?: unknown;
}

/**
 * Writes an event stream to the client with back-pressure, one write per batch (the events one
 * upstream read brought: a syscall per read, not per event). A failure after the first byte
 * cannot change the status any more, so it becomes a final error event the SDKs raise on. A
 * failure that is not a GatewayError is a bug of the gateway's (never assumed to be the
 * upstream's): the client is told `internal_error`, and the caller gets the original as `bug`
 * to log.
 */
export async function pipeEvents(
  res: ServerResponse,
  events: AsyncIterable<SseEvent[]>,
  options: {
    shape: ErrorShape;
    done: boolean;
    onEvent?: (event: SseEvent) => void;
    /** What the client receives of each event (after onEvent saw it): the event, another, or null for nothing. */
    rewrite?: (event: SseEvent) => SseEvent | null;
    errorEvent?: (error: GatewayError) => SseEvent;
  },
): Promise<StreamOutcome> {
  const outcome: StreamOutcome = {};
  const { onEvent, rewrite } = options;
  try {
    for await (const batch of events) {
      if (res.destroyed) return outcome;
      if (outcome.firstEventAt === undefined) outcome.firstEventAt = performance.now();
      let text = '';
      for (const event of batch) {
        onEvent?.(event);
        const out = rewrite === undefined ? event : rewrite(event);
        if (out !== null) text += encodeSse(out);
      }
      if (text !== '' && !res.write(text)) await drained(res);
    }
    if (!res.destroyed) {
      if (options.done) res.end(SSE_DONE);
      else res.end();
    }
  } catch (error) {
    const failure = error instanceof GatewayError ? error : internalError(error);
    if (failure !== error) outcome.bug = error;
    outcome.error = failure;
    if (!res.destroyed && failure.code !== 'client_closed_request') {
      if (options.errorEvent !== undefined) {
        res.end(encodeSse(options.errorEvent(failure)));
      } else {
        const body = JSON.stringify(errorBody(failure, options.shape));
        res.end(encodeSse(options.shape === 'anthropic' ? { event: 'error', data: body } : { data: body }));
      }
    }
  }
  return outcome;
}

function internalError(cause: unknown): GatewayError {
  return new GatewayError('internal_error', 'Internal error in the gateway while streaming; see its logs (request id in x-request-id).', { cause });
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
