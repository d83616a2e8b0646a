import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SseEvent } from '../../src/protocol/index.js';
import { peekFirstEvent, replayStream } from '../../src/router/stream-peek.js';
import { UsageCounter } from '../../src/router/usage-counter.js';
import { ManualClock } from '../support/router-fixtures.js';

describe('usage counter', () => {
  test('counts per deployment in wall-clock minutes', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 30));
    const counter = new UsageCounter(clock);
    counter.record('a', 1, 100);
    counter.record('a', 1, 50);
    assert.deepEqual(counter.usage('a'), { requests: 2, tokens: 150 });
    assert.deepEqual(counter.usage('b'), { requests: 0, tokens: 0 });
    assert.equal(counter.msUntilNextWindow(), 30_000);
    clock.advance(30_000);
    assert.deepEqual(counter.usage('a'), { requests: 0, tokens: 0 });
  });

  test('shared totals add the other hosts\' traffic without counting this one twice', () => {
    const clock = new ManualClock();
    const counter = new UsageCounter(clock);
    counter.record('a', 3, 300);
    const [delta] = counter.pending(['a']);
    assert.deepEqual(delta, { id: 'a', minute: counter.currentMinute(), requests: 3, tokens: 300 });
    counter.record('a', 1, 10); // arrives while the round is in flight
    counter.applyShared(delta!, { requests: 10, tokens: 1_000 }); // 3 of ours + 7 of others
    assert.deepEqual(counter.usage('a'), { requests: 11, tokens: 1_010 });
    assert.deepEqual(counter.pending(['a'])[0], { id: 'a', minute: counter.currentMinute(), requests: 1, tokens: 10 });
  });

  test('a round that straddles a minute boundary changes nothing in the new minute', () => {
    const clock = new ManualClock();
    const counter = new UsageCounter(clock);
    counter.record('a', 1, 1);
    const [delta] = counter.pending(['a']);
    clock.advance(60_000);
    counter.applyShared(delta!, { requests: 500, tokens: 500 });
    assert.deepEqual(counter.usage('a'), { requests: 0, tokens: 0 });
  });
});

describe('stream peeking', () => {
  /** An upstream that yields the given batches of events (by their data), failing before batch `failAfter`. */
  function upstream(batches: string[][], failAfter?: number) {
    const state = { returned: false };
    async function* generate(): AsyncGenerator<SseEvent[]> {
      try {
        for (let i = 0; i < batches.length; i++) {
          if (failAfter === i) throw new Error(`broke after ${i}`);
          yield batches[i]!.map((data) => ({ data }));
        }
      } finally {
        state.returned = true;
      }
    }
    return { events: generate(), state };
  }

  async function collect(stream: AsyncIterable<SseEvent[]>): Promise<string[][]> {
    const out: string[][] = [];
    for await (const batch of stream) out.push(batch.map((event) => event.data));
    return out;
  }

  test('a failure before the first event rejects the peek and releases the upstream', async () => {
    let released = false;
    const failing: AsyncIterable<SseEvent[]> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(new Error('socket closed before the first event')),
        return: () => {
          released = true;
          return Promise.resolve({ done: true as const, value: undefined });
        },
      }),
    };
    await assert.rejects(peekFirstEvent(failing), /before the first event/);
    assert.equal(released, true);
  });

  test('the replay gives every batch as it came, the peeked one first, each event watched, and reports the end once', async () => {
    const { events } = upstream([['a', 'b'], ['c'], ['d', 'e', 'f']]);
    const seen: string[] = [];
    const ends: unknown[] = [];
    const replay = replayStream(await peekFirstEvent(events), { onEvent: (e) => seen.push(e.data), onEnd: (e) => ends.push(e) });
    assert.deepEqual(await collect(replay), [['a', 'b'], ['c'], ['d', 'e', 'f']]);
    assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.deepEqual(ends, [undefined]);
  });

  test('a failure after the first event travels down the stream and is reported', async () => {
    const { events } = upstream([['a'], ['b'], ['c']], 2);
    const ends: unknown[] = [];
    const replay = replayStream(await peekFirstEvent(events), { onEvent: () => undefined, onEnd: (e) => ends.push(e) });
    const got: string[] = [];
    await assert.rejects(async () => {
      for await (const batch of replay) got.push(...batch.map((e) => e.data));
    }, /broke after 2/);
    assert.deepEqual(got, ['a', 'b']);
    assert.equal(ends.length, 1);
    assert.match(String(ends[0]), /broke after 2/);
  });

  test('a consumer that stops early releases the upstream and the end is still reported', async () => {
    const { events, state } = upstream([['a'], ['b'], ['c']]);
    const ends: unknown[] = [];
    const replay = replayStream(await peekFirstEvent(events), { onEvent: () => undefined, onEnd: (e) => ends.push(e) });
    for await (const batch of replay) {
      assert.equal(batch[0]!.data, 'a');
      break;
    }
    assert.equal(state.returned, true);
    assert.deepEqual(ends, [undefined]);
  });

  test('an empty stream replays as empty', async () => {
    const { events } = upstream([]);
    const ends: unknown[] = [];
    assert.deepEqual(await collect(replayStream(await peekFirstEvent(events), { onEvent: () => undefined, onEnd: (e) => ends.push(e) })), []);
    assert.deepEqual(ends, [undefined]);
  });
});
