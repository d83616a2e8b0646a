import type { SseEvent } from '../protocol/index.js';
import type { EventStream } from '../providers/index.js';

/**
 * Streams are retried only until their first event: the router waits for it before handing the
 * stream to the server (which then writes the response headers), so a stream that fails before
 * its first byte reaches the client is just a failed attempt. After that, failures travel down
 * the stream and the server ends it with an error event.
 */

export interface StreamWatch {
  /** Each event as it passes (absent: nobody needs to look at them). */
  onEvent?(event: SseEvent): void;
  /** Once, when the stream is over: finished (no error), failed, or abandoned by the consumer. */
  onEnd(error: unknown): void;
}

export interface PeekedStream {
  /** The first batch of events (undefined: the stream ended without any). */
  first: SseEvent[] | undefined;
  rest: AsyncIterator<SseEvent[]>;
}

/** Waits for the first events; a failure before them rejects, and the upstream is released. */
export async function peekFirstEvent(events: EventStream): Promise<PeekedStream> {
  const rest = events[Symbol.asyncIterator]();
  try {
    const next = await rest.next();
    return { first: next.done === true ? undefined : next.value, rest };
  } catch (error) {
    await rest.return?.().catch(() => undefined);
    throw error;
  }
}

/** The stream again, first events included, reporting each event that passes through. */
export async function* replayStream(peeked: PeekedStream, watch: StreamWatch): AsyncGenerator<SseEvent[]> {
  let failure: unknown;
  let finished = peeked.first === undefined;
  try {
    if (peeked.first !== undefined) {
      const onEvent = watch.onEvent?.bind(watch);
      if (onEvent !== undefined) for (const event of peeked.first) onEvent(event);
      yield peeked.first;
      for (;;) {
        const next = await peeked.rest.next();
        if (next.done === true) break;
        if (onEvent !== undefined) for (const event of next.value) onEvent(event);
        yield next.value;
      }
      finished = true;
    }
  } catch (error) {
    failure = error;
    finished = true;
    throw error;
  } finally {
    // The consumer stopped early (client gone): release the upstream connection.
    if (!finished) await peeked.rest.return?.().catch(() => undefined);
    watch.onEnd(failure);
  }
}
