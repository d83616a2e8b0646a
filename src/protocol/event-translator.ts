import { redact, upstreamFailure } from '../core/index.js';
import type { SseEvent } from './sse.js';

/**
 * A stream translator is a small state machine: it takes one upstream event and returns the
 * events (zero or more) the caller should see, and at the end it flushes what the protocol still
 * owes (closing blocks, usage). Translators are pure apart from their own state, so they are
 * tested event by event and benchmarked without any I/O.
 */
export interface EventTranslator {
  push(event: SseEvent): SseEvent[];
  end(): SseEvent[];
}

/**
 * Runs a stream of event batches through a translator, a batch out for each batch in (when it
 * produced anything). A translator that throws part-way through a batch still lets the events
 * it produced before that through first.
 */
export async function* translateEvents(source: AsyncIterable<SseEvent[]>, translator: EventTranslator): AsyncGenerator<SseEvent[]> {
  for await (const batch of source) {
    const out: SseEvent[] = [];
    try {
      for (const event of batch) {
        for (const translated of translator.push(event)) out.push(translated);
      }
    } catch (error) {
      if (out.length > 0) yield out;
      throw error;
    }
    if (out.length > 0) yield out;
  }
  const rest = translator.end();
  if (rest.length > 0) yield rest;
}

/**
 * A batch cut at the first event that ends its stream (`ends` says which): the events before it,
 * which the reader still gets, and that event, if the batch holds one.
 */
export function cutAtEnd(batch: SseEvent[], ends: (event: SseEvent) => boolean): { before: SseEvent[]; end: SseEvent | undefined } {
  const at = batch.findIndex(ends);
  return at === -1 ? { before: batch, end: undefined } : { before: batch.slice(0, at), end: batch[at] };
}

/** An upstream event's JSON data, or a clear error (the upstream's doing) naming who sent something else. */
export function parseEventData(event: SseEvent, from: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(event.data);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  const preview = event.data.length > 200 ? `${event.data.slice(0, 200)}…` : event.data;
  throw upstreamFailure('upstream_invalid_response', `${from} sent a stream event that is not a JSON object: ${redact(preview)}`);
}
