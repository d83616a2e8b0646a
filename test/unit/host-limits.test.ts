import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/core/index.js';
import { HostCounter, HostLimits, LimitGate, type LimitScope, type LimitsWorkerMessage } from '../../src/limits/index.js';

/**
 * Limits while Redis is away: the host's one count in the primary (HostLimits), asked by each
 * worker (HostCounter) over a channel that stands in for IPC (JSON copies, answered later).
 */

const logger = createLogger({ level: 'silent' });
const estimate = { maxCostUsd: 0.001, tokens: 10 };
const scope = (limits: Partial<LimitScope>): LimitScope => ({
  kind: 'key', id: `k-${Math.random()}`, rpm: null, tpm: null, maxParallel: null, maxBudget: null, budgetDuration: null, budgetResetAt: null, spend: 0, ...limits,
});

/** A worker's gate asking `host` through a channel that copies as IPC does; `sent` records what went. */
function worker(host: HostLimits | undefined, options: { timeoutMs?: number; leaseTtlMs?: number } = {}): { gate: LimitGate; counter: HostCounter; sent: LimitsWorkerMessage[] } {
  const sent: LimitsWorkerMessage[] = [];
  const counter: HostCounter = new HostCounter({
    connected: () => true,
    send: (message) => {
      const copy = JSON.parse(JSON.stringify(message)) as LimitsWorkerMessage;
      sent.push(copy);
      if (host !== undefined) setImmediate(() => host.handle(copy, (reply) => setImmediate(() => counter.receive(JSON.parse(JSON.stringify(reply))))));
    },
  }, Date.now, options.timeoutMs);
  return { gate: new LimitGate({ logger, local: counter, leaseTtlMs: options.leaseTtlMs }), counter, sent };
}

test('two workers of one host share one rpm count, and a settled lease frees its place for both', async () => {
  const host = new HostLimits();
  const [w1, w2] = [worker(host), worker(host)];
  const limited = scope({ rpm: 3, maxParallel: 2 });
  const verdicts = await Promise.all([w1, w2, w1, w2].map((w) => w.gate.admit([limited], estimate)));
  assert.deepEqual(verdicts.map((v) => 'reason' in v ? v.reason : 'ok').sort(), ['ok', 'ok', 'parallel', 'parallel']);
  w1.gate.settle(verdicts.find((v, i) => i % 2 === 0 && !('reason' in v)) as never, 0.0005, 12);
  await new Promise((resolve) => setTimeout(resolve, 20)); // a settlement alone goes within 2 ms
  const third = await w2.gate.admit([limited], estimate);
  assert.ok(!('reason' in third), 'the place w1 handed back is free for w2');
  const fourth = await w1.gate.admit([limited], estimate);
  assert.equal('reason' in fourth && fourth.reason, 'rpm', 'three of the minute were counted once for the host');
});

test('a primary that does not answer: the worker counts alone after the timeout, and keeps that lease\'s settlement', async () => {
  const { gate, sent } = worker(undefined, { timeoutMs: 50 });
  const limited = scope({ maxParallel: 1 });
  const started = Date.now();
  const first = await gate.admit([limited], estimate);
  assert.ok(!('reason' in first));
  assert.ok(Date.now() - started >= 45, 'it waited for the primary first');
  const second = await gate.admit([limited], estimate);
  assert.equal('reason' in second && second.reason, 'parallel', 'its own count holds the place');
  gate.settle(first as never, 0, undefined);
  assert.ok(!sent.some((m) => m.type === 'limits-batch' && m.settlements.length > 0), 'a lease counted alone is settled alone');
  const third = await gate.admit([limited], estimate);
  assert.ok(!('reason' in third), 'and its place is free again');
});

test('a budget is counted by the host: settlements from its workers add up there', async () => {
  const host = new HostLimits();
  const { gate } = worker(host);
  const budget = scope({ maxBudget: 0.0025 });
  for (let i = 0; i < 2; i++) {
    const admitted = await gate.admit([budget], estimate);
    assert.ok(!('reason' in admitted));
    gate.settle(admitted as never, 0.001, 10);
  }
  const refused = await gate.admit([budget], { maxCostUsd: 0.001, tokens: 10 });
  assert.ok(!('reason' in refused), 'spent 0.002 of 0.0025: one more fits');
  gate.settle(refused as never, 0.001, 10);
  const over = await gate.admit([budget], estimate);
  assert.equal('reason' in over && over.reason, 'budget', 'the host counted all three settlements');
});

test('one batch of admissions on its way at a time: what arrives during its round trip goes in the next message', async () => {
  const host = new HostLimits();
  const sent: LimitsWorkerMessage[] = [];
  const counter: HostCounter = new HostCounter({
    connected: () => true,
    send: (message) => {
      sent.push(message);
      // A primary that takes 30 ms to answer.
      setTimeout(() => host.handle(message, (reply) => counter.receive(reply)), 30);
    },
  });
  const gate = new LimitGate({ logger, local: counter });
  const limited = scope({ rpm: 100 });
  const first = gate.admit([limited], estimate);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const later: Array<ReturnType<LimitGate['admit']>> = [];
  for (let i = 0; i < 5; i++) {
    later.push(gate.admit([limited], estimate));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const verdicts = await Promise.all([first, ...later]);
  assert.ok(verdicts.every((v) => !('reason' in v)), 'all six admitted');
  const batches = sent.filter((m) => m.type === 'limits-batch' && m.admits.length > 0).map((m) => m.type === 'limits-batch' ? m.admits.length : 0);
  assert.deepEqual(batches, [1, 5]);
});

const admitsSent = (sent: LimitsWorkerMessage[]): number => sent.reduce((n, m) => n + (m.type === 'limits-batch' ? m.admits.length : 0), 0);

test('a budget alone is counted in blocks: one ask of the primary admits many calls, and the host still stops at the budget exactly', async () => {
  const host = new HostLimits();
  const [w1, w2] = [worker(host), worker(host)];
  // $0.064 budget, calls of at most $0.0001 that really cost $0.00005: 1,280 calls spend it exactly.
  const budget = scope({ maxBudget: 0.064 });
  const call = { maxCostUsd: 0.0001, tokens: 10 };
  let admitted = 0;
  let refusal: string | undefined;
  for (let i = 0; i < 2_000 && refusal === undefined; i++) {
    const w = i % 2 === 0 ? w1 : w2;
    const verdict = await w.gate.admit([budget], call);
    if ('reason' in verdict) {
      if (verdict.reason === 'budget_held') { // the other worker's block holds the rest: it gives it back when it closes
        const other = i % 2 === 0 ? w2 : w1;
        await other.gate.close();
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      refusal = verdict.reason;
      break;
    }
    admitted++;
    w.gate.settle(verdict, 0.00005, 10);
  }
  assert.equal(refusal, 'budget', 'the budget ran out');
  assert.equal(admitted, 1_280, 'every block settled with its calls\' real cost, and no block reached past the budget');
  const asked = admitsSent(w1.sent) + admitsSent(w2.sent);
  assert.ok(asked < admitted / 5, `${asked} admissions asked of the primary for ${admitted} calls`);
});

test('calls arriving while a block is asked for wait for it: one ask for a burst, and close() settles the block with its calls\' cost', async () => {
  const host = new HostLimits();
  const w = worker(host);
  const budget = scope({ maxBudget: 1_000 });
  const verdicts = await Promise.all(Array.from({ length: 100 }, () => w.gate.admit([budget], { maxCostUsd: 0.01, tokens: 10 })));
  assert.ok(verdicts.every((v) => !('reason' in v)));
  assert.equal(admitsSent(w.sent), 1, 'the burst shared one block');
  const block = w.sent.find((m) => m.type === 'limits-batch' && m.admits.length > 0) as Extract<LimitsWorkerMessage, { type: 'limits-batch' }>;
  const lease = block.admits[0]!.request.lease;
  for (const v of verdicts) w.gate.settle(v as never, 0.002, 10);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(!w.sent.some((m) => m.type === 'limits-batch' && m.settlements.some((s) => s.lease === lease)), 'an open block is not settled');
  await w.gate.close();
  w.counter.close();
  const settled = w.sent.flatMap((m) => m.type === 'limits-batch' ? m.settlements : []).filter((s) => s.lease === lease);
  assert.equal(settled.length, 1);
  assert.equal(settled[0]!.costNano, 100 * 2_000_000, 'the block carries the sum of its calls\' real cost');
});

test('a block is refused when it does not fit whole in what is left; calls are then asked one by one', async () => {
  const host = new HostLimits();
  const w = worker(host);
  // $0.0064 budget and $0.0001 calls: a block would be 100,000 nano, but $0.00633 is spent already.
  const budget = scope({ maxBudget: 0.0064, spend: 0.00633 });
  const verdict = await w.gate.admit([budget], { maxCostUsd: 0.0001, tokens: 10 });
  assert.ok(!('reason' in verdict), 'the call itself is admitted as one call');
  const asked = w.sent.flatMap((m) => m.type === 'limits-batch' ? m.admits : []);
  assert.equal(asked.length, 2, 'a block, refused, then the call alone');
  assert.ok(asked[0]!.request.whole === true && asked[1]!.request.whole !== true);
});

test('a call in flight longer than the lease time to live keeps its place: its worker renews the lease with the host', async () => {
  const host = new HostLimits(Date.now, 300);
  const [w1, w2] = [worker(host, { leaseTtlMs: 300 }), worker(host, { leaseTtlMs: 300 })];
  const limited = scope({ maxParallel: 1 });
  const long = await w1.gate.admit([limited], estimate);
  assert.ok(!('reason' in long));
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // over three times the lease's life
  const other = await w2.gate.admit([limited], estimate);
  assert.equal('reason' in other && other.reason, 'parallel', 'the long call still holds the only place');
  w1.gate.settle(long, 0, undefined);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(!('reason' in await w2.gate.admit([limited], estimate)), 'its place is free once it is over');
  await Promise.all([w1.gate.close(), w2.gate.close()]);
});
