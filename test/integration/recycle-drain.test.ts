import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { sleep, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';

/**
 * Recycling under LLM-length streams: a routine drain waits for a stream however long it runs
 * (up to --recycle_drain_timeout), later recycles do not wait for it (only one boot at a time),
 * the draining cap holds, a shutdown still ends streams at --graceful_timeout, and every
 * max_requests recycle reports how far past its limit the old worker went.
 */

let upstream: FakeUpstream;
const STREAM_TEXT = 'z'.repeat(240);

before(async () => {
  upstream = await startFakeUpstream();
  // 24 chunks, 250 ms apart: a 6-second answer, far longer than the 1 s graceful timeout below.
  upstream.behave('long-stream', { chunkCount: 24, chunkIntervalMs: 250, text: STREAM_TEXT });
  upstream.behave('endless-stream', { chunkCount: 200, chunkIntervalMs: 100, text: 'y'.repeat(2000) });
  upstream.behave('quick', { text: 'quick' });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const config = () => ({
  model_list: ['long-stream', 'endless-stream', 'quick'].map((name) => ({ model_name: name, litellm_params: { model: `openai/${name}`, api_base: `${upstream.url}/v1` } })),
});
const is = (msg: string) => (line: LogLine) => line.msg === msg;
const drainFinished = (line: LogLine) => typeof line.msg === 'string' && line.msg.startsWith('drain finished');
const at = (line: LogLine) => Date.parse(String(line.time));

/** A stream read to its end through the official SDK: the text, and whether it ended normally. */
async function streamText(client: OpenAI, model: string, onFirst: () => void): Promise<{ text: string; error?: string }> {
  const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'go' }], stream: true });
  let text = '';
  let first = true;
  try {
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (first) {
        first = false;
        onFirst();
      }
    }
  } catch (error) {
    return { text, error: (error as Error).message };
  }
  return { text };
}

/** A stream under way: resolves once its first chunk has arrived, with the promise of its end. */
async function streamStarted(client: OpenAI, model: string): Promise<{ done: Promise<{ text: string; error?: string }> }> {
  let streaming!: () => void;
  const started = new Promise<void>((resolve) => (streaming = resolve));
  const done = streamText(client, model, streaming);
  await Promise.race([started, done]);
  return { done }; // wrapped: an async function would wait for a promise it returns
}

/** Sequential short calls on one keep-alive connection until `until` holds (bounded in count and time). */
async function shortCalls(gateway: GatewayProcess, until: () => boolean, max = 50_000, maxMs = 30_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  const pool = new Pool(gateway.url, { connections: 1 });
  const body = JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'hi' }] });
  let sent = 0;
  try {
    while (!until() && sent < max && Date.now() < deadline) {
      const response = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.body.text();
      assert.equal(response.statusCode, 200, text);
      sent++;
    }
  } finally {
    await pool.close();
  }
  return sent;
}

/** One histogram's buckets, count and sum from the exposition text. */
function histogram(text: string, name: string): { buckets: Map<string, number>; count: number; sum: number } {
  const buckets = new Map<string, number>();
  let count = NaN;
  let sum = NaN;
  for (const line of text.split('\n')) {
    const bucket = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`).exec(line);
    if (bucket) buckets.set(bucket[1]!, Number(bucket[2]));
    if (line.startsWith(`${name}_count `)) count = Number(line.split(' ')[1]);
    if (line.startsWith(`${name}_sum `)) sum = Number(line.split(' ')[1]);
  }
  return { buckets, count, sum };
}

describe('routine drains wait for streams', () => {
  test('a stream longer than --graceful_timeout survives a max_requests recycle whole, and later recycles go on meanwhile', async () => {
    const gateway = await startGateway({ config: config(), args: ['--num_workers', '1', '--max_requests_before_restart', '15', '--graceful_timeout', '1'] });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const firstPid = Number(gateway.logs.find(is('worker booted'))!.worker_pid);
    const { done: stream } = await streamStarted(client, 'long-stream');
    // Recycle the stream's worker, then two more of its successors, while the stream runs on.
    const recycles = () => gateway.logs.filter(is('recycle begun')).length;
    await shortCalls(gateway, () => recycles() >= 3);
    const result = await stream;
    assert.equal(result.error, undefined, `the stream failed: ${result.error}`);
    assert.equal(result.text, STREAM_TEXT, 'the stream arrived whole');

    const streamDrain = await gateway.waitForLog((l) => drainFinished(l) && l.worker_pid === firstPid, 15_000, 'the first worker\'s drain');
    assert.equal(streamDrain.forced, 0, 'nothing was ended');
    assert.ok(Number(streamDrain.in_flight_at_drain_start) >= 1, 'the stream was in flight when its worker began to drain');
    assert.ok(Number(streamDrain.duration_ms) > 1_000, `the drain outlasted the graceful timeout (${streamDrain.duration_ms} ms)`);
    const drainBegun = gateway.logs.find((l) => l.msg === 'drain begun' && l.worker_pid === firstPid)!;
    const during = gateway.logs.filter((l) => l.msg === 'recycle begun' && at(l) > at(drainBegun) && at(l) < at(streamDrain));
    assert.ok(during.length >= 2, `recycles of later workers while the first drained: ${during.length}`);

    // One sequential client: each worker asked to be recycled at exactly its limit.
    const limits = new Map(gateway.logs.filter(is('worker booted')).map((l) => [l.worker_pid, Number(l.limit)]));
    for (const line of gateway.logs.filter(is('recycle begun'))) {
      assert.equal(line.reason, 'max_requests');
      assert.equal(Number(line.served), limits.get(line.worker_pid), `recycle of ${line.worker_pid} begun at ${line.served} requests, limit ${limits.get(line.worker_pid)}`);
      assert.equal(line.overshoot, 0);
    }
    await gateway.stop();
  });

  test('every max_requests recycle reports its overshoot, in the log and in the histogram', async () => {
    const gateway = await startGateway({ config: config(), args: ['--num_workers', '1', '--max_requests_before_restart', '10'] });
    const drained = () => gateway.logs.filter(drainFinished).length;
    await shortCalls(gateway, () => drained() >= 3);
    const limits = new Map(gateway.logs.filter(is('worker booted')).map((l) => [l.worker_pid, Number(l.limit)]));
    const overshoots = gateway.logs.filter(drainFinished).map((line) => {
      assert.equal(line.reason, 'max_requests');
      const overshoot = Number(line.overshoot);
      assert.equal(overshoot, Number(line.served_at_drain_start) - limits.get(line.worker_pid)!, 'overshoot = served at drain start - limit');
      return overshoot;
    });
    // The client kept sending while each replacement booted: the old worker served those.
    assert.ok(overshoots.every((o) => o > 0), `overshoots ${overshoots.join(', ')}`);
    const response = await fetch(`${gateway.url}/metrics`);
    const text = await response.text();
    const seen = gateway.logs.filter(drainFinished).map((l) => Number(l.overshoot));
    const h = histogram(text, 'switchyard_recycle_overshoot_requests');
    assert.equal(h.count, seen.length);
    assert.equal(h.sum, seen.reduce((a, b) => a + b, 0));
    for (const [le, value] of h.buckets) {
      const bound = le === '+Inf' ? Infinity : Number(le);
      assert.equal(value, seen.filter((o) => o <= bound).length, `bucket le=${le}`);
    }
    await gateway.stop();
  });

  test('a reload waits for a stream too; --recycle_drain_timeout ends it when it runs past the cap, counted', async () => {
    const gateway = await startGateway({ config: config(), args: ['--graceful_timeout', '1', '--recycle_drain_timeout', '2'] });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    let reloadedAt = 0;
    const result = await streamText(client, 'endless-stream', () => {
      reloadedAt = Date.now();
      process.kill(gateway.proc.pid!, 'SIGHUP');
    });
    const endedAfter = Date.now() - reloadedAt;
    assert.match(String(result.error), /shutting down/, 'the client was told why the stream ended');
    assert.ok(endedAfter >= 1_800 && endedAfter < 8_000, `ended ${endedAfter} ms after the reload: at the 2 s cap, not the 1 s graceful timeout`);
    const drained = await gateway.waitForLog(drainFinished, 15_000, 'the drain');
    assert.equal(drained.forced, 1);
    assert.equal(drained.reason, 'reload');
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(metrics, /^switchyard_drain_ended_requests_total\{reason="reload"\} 1$/m);
    assert.match(metrics, /^switchyard_drain_ended_requests_total\{reason="max_requests"\} 0$/m);
    await gateway.stop();
  });
});

describe('shutdown drains keep the graceful timeout', () => {
  test('SIGTERM ends a stream at --graceful_timeout and the gateway exits 0', async () => {
    const gateway = await startGateway({ config: config(), args: ['--graceful_timeout', '1'] });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    let exit: ReturnType<GatewayProcess['stop']> | undefined;
    let signalledAt = 0;
    const result = await streamText(client, 'endless-stream', () => {
      signalledAt = Date.now();
      exit = gateway.stop('SIGTERM');
    });
    const endedAfter = Date.now() - signalledAt;
    assert.match(String(result.error), /shutting down/);
    assert.ok(endedAfter < 5_000, `ended ${endedAfter} ms after SIGTERM`);
    assert.deepEqual(await exit, { code: 0, signal: null });
    const drained = gateway.logs.find(drainFinished)!;
    assert.equal(drained.forced, 1);
    assert.equal(drained.reason, 'shutdown');
  });

  test('SIGTERM while a recycled worker drains a stream brings its deadline forward to --graceful_timeout', async () => {
    const gateway = await startGateway({ config: config(), args: ['--max_requests_before_restart', '5', '--graceful_timeout', '1'] });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const firstPid = Number(gateway.logs.find(is('worker booted'))!.worker_pid);
    const { done: stream } = await streamStarted(client, 'endless-stream');
    await shortCalls(gateway, () => gateway.logs.some((l) => l.msg === 'drain begun' && l.worker_pid === firstPid));
    const signalledAt = Date.now();
    const exit = gateway.stop('SIGTERM');
    const result = await stream;
    const endedAfter = Date.now() - signalledAt;
    assert.match(String(result.error), /shutting down/);
    assert.ok(endedAfter < 5_000, `ended ${endedAfter} ms after SIGTERM, not at the hour-long recycle cap`);
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.ok(gateway.logs.some((l) => l.msg === 'drain deadline shortened for shutdown' && l.worker_pid === firstPid));
  });
});

describe('the draining cap', () => {
  test('with --max_draining_workers 1, a recycle waits while a stream holds the one draining worker, then goes', async () => {
    const gateway = await startGateway({ config: config(), args: ['--max_requests_before_restart', '5', '--max_draining_workers', '1'] });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const firstPid = Number(gateway.logs.find(is('worker booted'))!.worker_pid);
    const { done: stream } = await streamStarted(client, 'long-stream');
    // The first worker recycles and drains with the stream; its successor reaches its own limit
    // and must wait: keep calling until the stream is over and that second recycle has begun.
    let streamDone = false;
    void stream.then(() => (streamDone = true));
    await shortCalls(gateway, () => streamDone && gateway.logs.filter(is('recycle begun')).length >= 2);
    const result = await stream;
    assert.equal(result.text, STREAM_TEXT);

    const waits = gateway.logs.filter(is('recycles wait: draining workers are at their cap'));
    assert.equal(waits.length, 1, 'the wait is logged once');
    const firstDrained = gateway.logs.find((l) => drainFinished(l) && l.worker_pid === firstPid);
    assert.ok(firstDrained, gateway.logs.filter((l) => l.role === 'primary').map((l) => `${l.msg} ${l.worker_pid}`).join('\n'));
    const second = gateway.logs.filter(is('recycle begun'))[1]!;
    assert.ok(at(second) >= at(firstDrained), 'the second recycle began only once the first worker had drained');
    assert.ok(Number(second.overshoot) > 0, 'its worker served on past its limit meanwhile');
    // Never two draining at once: drain begun / drain finished alternate.
    const sequence = gateway.logs.filter((l) => l.msg === 'drain begun' || drainFinished(l)).map((l) => (l.msg === 'drain begun' ? 'begun' : 'finished'));
    for (let i = 1; i < sequence.length; i++) assert.notEqual(sequence[i], sequence[i - 1], `two workers drained at once: ${sequence.join(', ')}`);
    await gateway.stop();
  });
});

describe('boot', () => {
  test('workers run from the bundle, and every worker after the first starts from V8\'s code cache', async () => {
    const first = await startGateway({ config: config(), args: ['--num_workers', '1'] });
    await sleep(500); // the first worker writes the cache just after it is ready
    await first.stop();
    const gateway = await startGateway({ config: config(), args: ['--num_workers', '2'] });
    const booted = gateway.logs.filter(is('worker booted'));
    assert.equal(booted.length, 2);
    for (const line of booted) {
      assert.equal(line.code_cache, 'hit');
      assert.ok(Number(line.boot_cpu_ms) > 0);
    }
    await gateway.stop();
  });
});
