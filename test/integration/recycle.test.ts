import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type LogLine } from '../support/gateway.js';
import { runLoad } from '../support/load.js';

/** Recycling under load: the replacement is ready before the old worker drains; nothing is dropped. */

let upstream: FakeUpstream;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('steady', { delayMs: 15, text: 'steady answer' });
  upstream.behave('streamy', { chunkCount: 5, chunkIntervalMs: 10, text: 'one two three four five' });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const config = () => ({
  model_list: [
    { model_name: 'steady', litellm_params: { model: 'openai/steady', api_base: `${upstream.url}/v1` } },
    { model_name: 'streamy', litellm_params: { model: 'openai/streamy', api_base: `${upstream.url}/v1` } },
  ],
});

const is = (msg: string) => (line: LogLine) => line.msg === msg;

test('1 worker, base 20: at least 5 recycles under continuous keep-alive load, zero failed requests', async () => {
  const gateway = await startGateway({ config: config(), args: ['--num_workers', '1', '--max_requests_before_restart', '20'] });
  const sdk = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const pool = new Pool(gateway.url, { connections: 4 }); // keep-alive sockets, reused across recycles
  const recycles = () => gateway.logs.filter(is('drain finished')).length;
  try {
    const result = await runLoad({
      concurrency: 6,
      maxRequests: 20_000, // a recycle takes a boot time's worth of traffic (hundreds of requests at this rate)
      maxMs: 90_000,
      until: () => recycles() >= 5,
      request: async (loop) => {
        if (loop < 2) {
          const response = await pool.request({
            path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'steady', messages: [{ role: 'user', content: 'pool' }] }),
          });
          const body = await response.body.text();
          if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${body}`);
        } else if (loop < 4) {
          const answer = await sdk.chat.completions.create({ model: 'steady', messages: [{ role: 'user', content: 'sdk' }] });
          if (answer.choices[0]?.message.content !== 'steady answer') throw new Error('wrong answer');
        } else {
          const stream = await sdk.chat.completions.create({ model: 'streamy', messages: [{ role: 'user', content: 'stream' }], stream: true });
          let text = '';
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
          if (text !== 'one two three four five') throw new Error(`stream cut short: "${text}"`);
        }
      },
    });
    const recycled = recycles();
    console.log(`load: ${result.ok} ok, ${result.failed} failed in ${result.durationMs} ms; ${recycled} recycles`);
    assert.ok(recycled >= 5, `only ${recycled} recycles happened (${result.ok} ok, ${result.failed} failed: ${result.errors.slice(0, 5).join('; ')})`);
    assert.equal(result.failed, 0, result.errors.join('\n'));

    // Surge, then drain: every replacement was ready before its old worker began draining.
    const begun = gateway.logs.filter(is('recycle begun'));
    const ready = gateway.logs.filter(is('replacement ready'));
    assert.ok(begun.length >= 5 && ready.length >= 5);
    for (const line of ready.slice(0, 5)) assert.ok(line.old_worker_pid, 'a replacement names the worker it replaces');
    for (const line of begun) {
      assert.equal(line.reason, 'max_requests');
      assert.ok(Number(line.served) >= 20, `recycled after ${line.served} requests, limit 20`);
    }
    // One replacement booting at a time: recycle begun / replacement ready alternate (drains may overlap).
    const sequence = gateway.logs.filter((l) => l.msg === 'recycle begun' || l.msg === 'replacement ready').map((l) => l.msg);
    for (let i = 1; i < sequence.length; i++) assert.notEqual(sequence[i], sequence[i - 1], `two replacements booted at once: ${sequence.join(', ')}`);
  } finally {
    await pool.close();
    await gateway.stop();
  }
});

test('limits are drawn per worker in [base, base + jitter]; jitter without a base warns once', async () => {
  const gateway = await startGateway({
    config: config(),
    args: ['--num_workers', '4', '--max_requests_before_restart', '1000', '--max_requests_before_restart_jitter', '1000'],
  });
  const booted = await gateway.waitForLog(() => gateway.logs.filter(is('worker booted')).length >= 4, 20_000, 'four workers');
  assert.ok(booted);
  const limits = gateway.logs.filter(is('worker booted')).map((l) => Number(l.limit));
  assert.equal(limits.length, 4);
  for (const limit of limits) assert.ok(limit >= 1000 && limit <= 2000, `limit ${limit}`);
  assert.ok(new Set(limits).size > 1, `four workers drew the same limit: ${limits.join(', ')}`);
  await gateway.stop();

  const warned = await startGateway({ config: config(), args: ['--max_requests_before_restart_jitter', '40'] });
  const warnings = warned.logs.filter((l) => String(l.msg).includes('no effect without max_requests_before_restart'));
  assert.equal(warnings.length, 1);
  const bootedLine = await warned.waitForLog(is('worker booted'));
  assert.equal(bootedLine.limit, null);
  await warned.stop();
});
