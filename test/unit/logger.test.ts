import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchedLines, createLogger, lineWriter } from '../../src/core/index.js';

/** An output that takes at most `take` bytes per call, or fails with `error`. */
function output() {
  const out = { written: '', take: Infinity, error: undefined as string | undefined, calls: 0 };
  const write = (_fd: number, data: Buffer, offset: number): number => {
    out.calls++;
    if (out.error !== undefined) throw Object.assign(new Error(out.error), { code: out.error });
    const n = Math.min(out.take, data.length - offset);
    out.written += data.subarray(offset, offset + n).toString('utf8');
    return n;
  };
  return { out, write };
}

test('batched lines: nothing is written until a flush or a full batch; order is kept', () => {
  const { out, write } = output();
  const lines = new BatchedLines(1, write);
  lines.write('a\n');
  lines.write('é\n');
  assert.equal(out.calls, 0);
  lines.flush();
  assert.equal(out.written, 'a\né\n');
  assert.equal(out.calls, 1);
  for (let i = 0; i < 2000; i++) lines.write(`${'x'.repeat(20)}${i}\n`);
  assert.ok(out.calls >= 3, 'a full batch is written without waiting for the interval');
  lines.flush();
  assert.equal(out.written.split('\n').filter(Boolean).length, 2002);
  assert.ok(out.written.endsWith('x1999\n'));
});

test('batched lines: short writes are completed; a full pipe (EAGAIN) keeps the rest for later', () => {
  const { out, write } = output();
  const lines = new BatchedLines(1, write);
  out.take = 3;
  lines.write('hello\n');
  lines.flush();
  assert.equal(out.written, 'hello\n');
  out.error = 'EAGAIN';
  lines.write('kept\n');
  lines.flush();
  assert.equal(out.written, 'hello\n');
  out.error = undefined;
  lines.write('after\n');
  lines.flush();
  assert.equal(out.written, 'hello\nkept\nafter\n');
  assert.equal(lines.dropped, 0);
});

test('batched lines: a closed output drops and counts instead of throwing', () => {
  const { out, write } = output();
  const lines = new BatchedLines(1, write);
  out.error = 'EPIPE';
  lines.write('lost\n');
  assert.doesNotThrow(() => lines.flush());
  assert.equal(lines.dropped, 5);
});

test('the request-line fast path writes the same JSON as pino would', () => {
  const { out, write } = output();
  const destination = new BatchedLines(1, write);
  const logger = createLogger({ level: 'info', destination: destination as unknown as NodeJS.WritableStream, base: { role: 'worker' } });
  lineWriter(logger, 'info', 'request')('"status":200,"route":"/v1/chat/completions"');
  logger.info({ status: 201 }, 'other');
  destination.flush();
  const [fast, slow] = out.written.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(fast!.msg, 'request');
  assert.equal(fast!.status, 200);
  assert.equal(fast!.role, 'worker');
  assert.equal(fast!.level, 'info');
  assert.deepEqual(Object.keys(fast!).slice(0, 4), Object.keys(slow!).slice(0, 4), 'level, time, bindings in pino order');
  assert.equal(slow!.msg, 'other');
});
