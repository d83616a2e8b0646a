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
function worker(host: HostLimits | undefined, timeoutMs = 1_000): { gate: LimitGate; sent: LimitsWorkerMessage[] } {
  const sent: LimitsWorkerMessage[] = [];
  const counter: HostCounter = new HostCounter({
    connected: () => true,
    send: (message) => {
      const copy = JSON.parse(JSON.stringify(message)) as LimitsWorkerMessage;
      sent.push(copy);
      if (host !== undefined) setImmediate(() => host.handle(copy, (reply) => setImmediate(() => counter.receive(JSON.parse(JSON.stringify(reply))))));
    },
  }, Date.now, timeoutMs);
  return { gate: new LimitGate({ logger, local: counter }), sent };
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
  const { gate, sent } = worker(undefined, 50);
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
