import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cancellation, GatewayError } from '../../src/core/index.js';
import { cutAtEnd, translateEvents, type EventTranslator, type SseEvent } from '../../src/protocol/index.js';
import type { UpstreamRequest, UpstreamResponse } from '../../src/providers/http-pool.js';
import { openEventStream } from '../../src/providers/upstream-response.js';

/**
 * Streams travel in batches: what one upstream read brought. These tests pin down that batching
 * changes no event and no order, and that the ends of a stream (`[DONE]`, an error event, a
 * translator failing) let the events before them through, even when they share a batch.
 */

/** An upstream response whose body arrives as the given reads, each a list of chunks. */
function sseResponse(reads: string[][], state = { returned: false }): UpstreamResponse {
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/event-stream' },
    text: () => Promise.reject(new Error('not used')),
    abort: () => undefined,
    async *[Symbol.asyncIterator]() {
      try {
        for (const read of reads) yield read.map((text) => Buffer.from(text));
      } finally {
        state.returned = true;
      }
    },
  };
}

const request: UpstreamRequest = {
  url: new URL('http://127.0.0.1:1/v1/chat/completions'), headers: {}, signal: new Cancellation().signal,
  timeoutMs: 1_000, maxAnswerBytes: 1024 * 1024, stream: true, label: 'deployment test',
};

async function batches(stream: AsyncIterable<SseEvent[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const batch of stream) out.push(batch.map((event) => event.data));
  return out;
}

describe('upstream event streams in batches', () => {
  test('a read is one batch, whatever its chunks; an event split across reads goes with the read that completes it', async () => {
    const stream = await openEventStream(sseResponse([
      ['data: a\n\n', 'data: b\n\n', 'data: c'],
      ['\n\ndata: d\n\n'],
      [': comment only\n\n'],
      ['data: e\n\ndata: [DONE]\n\n'],
    ]), request, 'openai');
    assert.deepEqual(await batches(stream), [['a', 'b'], ['c', 'd'], ['e']]);
  });

  test('[DONE] in the middle of a read ends the stream after the events before it and releases the body', async () => {
    const state = { returned: false };
    const stream = await openEventStream(sseResponse([['data: a\n\n'], ['data: b\n\ndata: [DONE]\n\ndata: after\n\n'], ['data: never\n\n']], state), request, 'openai');
    assert.deepEqual(await batches(stream), [['a'], ['b']]);
    assert.equal(state.returned, true);
  });

  test('an error event in the middle of a read: the events before it, then the upstream error', async () => {
    const stream = await openEventStream(sseResponse([['data: a\n\ndata: {"error":{"message":"overloaded"}}\n\ndata: z\n\n']]), request, 'openai');
    const got: string[] = [];
    await assert.rejects(async () => {
      for await (const batch of stream) got.push(...batch.map((e) => e.data));
    }, (error: unknown) => error instanceof GatewayError && error.code === 'upstream_error' && /deployment test failed mid-stream: overloaded/.test(error.message));
    assert.deepEqual(got, ['a']);
  });

  test('a last event without its blank line, and [DONE] there, are read at the end', async () => {
    const finish = '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}';
    assert.deepEqual(await batches(await openEventStream(sseResponse([[`data: a\n\ndata: ${finish}`]]), request, 'openai')), [['a'], [finish]]);
    assert.deepEqual(await batches(await openEventStream(sseResponse([['data: a\n\ndata: [DONE]']]), request, 'openai')), [['a']]);
  });

  /** Every event, then the failure the stream ended with (or undefined). */
  async function drain(stream: AsyncIterable<SseEvent[]>): Promise<{ events: string[]; error: unknown }> {
    const events: string[] = [];
    try {
      for await (const batch of stream) events.push(...batch.map((e) => e.data));
      return { events, error: undefined };
    } catch (error) {
      return { events, error };
    }
  }

  const cutShort = (error: unknown) => error instanceof GatewayError && error.code === 'upstream_error' && error.origin === 'upstream' && /cut short/.test(error.message);

  test('a stream whose body ends without its proper end is the upstream\'s failure, after all its events', async () => {
    const chunk = (finish: string) => `data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":${finish}}]}\n\n`;
    const openaiCut = await drain(await openEventStream(sseResponse([[chunk('null')], [chunk('null')]]), request, 'openai'));
    assert.equal(openaiCut.events.length, 2);
    assert.ok(cutShort(openaiCut.error), String(openaiCut.error));
    // A finish reason without [DONE] is an end (some OpenAI-compatible servers stop there), however it is spaced.
    for (const finish of ['"stop"', ' "length"']) {
      assert.equal((await drain(await openEventStream(sseResponse([[chunk('null')], [chunk(finish)]]), request, 'openai'))).error, undefined, finish);
    }
    const named = (name: string) => `event: ${name}\ndata: {"type":"${name}"}\n\n`;
    const anthropicCut = await drain(await openEventStream(sseResponse([[named('message_start'), named('content_block_start')]]), request, 'anthropic'));
    assert.equal(anthropicCut.events.length, 2);
    assert.ok(cutShort(anthropicCut.error) && /message_stop/.test((anthropicCut.error as Error).message));
    assert.equal((await drain(await openEventStream(sseResponse([[named('message_start')], [named('message_stop')]]), request, 'anthropic'))).error, undefined);
  });
});

describe('translating batches', () => {
  /** Doubles each event; fails on an event whose data is "boom"; says "end" at the end. */
  const translator = (): EventTranslator => ({
    push(event) {
      if (event.data === 'boom') throw new Error('untranslatable');
      return event.data === 'skip' ? [] : [{ data: `${event.data}1` }, { data: `${event.data}2` }];
    },
    end: () => [{ data: 'end' }],
  });
  async function* source(list: string[][]): AsyncGenerator<SseEvent[]> {
    for (const batch of list) yield batch.map((data) => ({ data }));
  }

  test('a batch in, a batch out; a batch that translates to nothing is skipped; the end is its own batch', async () => {
    assert.deepEqual(await batches(translateEvents(source([['a', 'b'], ['skip'], ['c']]), translator())), [['a1', 'a2', 'b1', 'b2'], ['c1', 'c2'], ['end']]);
  });

  test('a translator that fails part-way through a batch lets the events before the failure through first', async () => {
    const got: string[] = [];
    await assert.rejects(async () => {
      for await (const batch of translateEvents(source([['a', 'boom', 'b']]), translator())) got.push(...batch.map((e) => e.data));
    }, /untranslatable/);
    assert.deepEqual(got, ['a1', 'a2']);
  });
});

test('cutAtEnd: the events before the first ending one, and that one; a batch without one is left whole', () => {
  const batch = ['a', 'b', 'END', 'c', 'END'].map((data) => ({ data }));
  const ends = (event: SseEvent) => event.data === 'END';
  assert.deepEqual(cutAtEnd(batch, ends), { before: [{ data: 'a' }, { data: 'b' }], end: { data: 'END' } });
  assert.deepEqual(cutAtEnd(batch.slice(2), ends), { before: [], end: { data: 'END' } });
  const whole = batch.slice(0, 2);
  assert.equal(cutAtEnd(whole, ends).before, whole);
  assert.equal(cutAtEnd(whole, ends).end, undefined);
});
