import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { sleep, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';
import { runLoad } from '../support/load.js';

/** Draining streams, signals and reloads: in-flight work completes, the new config serves. */

let upstream: FakeUpstream;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('long-stream', { chunkCount: 30, chunkIntervalMs: 100, text: 'x'.repeat(300) });
  upstream.behave('endless-stream', { chunkCount: 200, chunkIntervalMs: 100, text: 'y'.repeat(2000) });
  upstream.behave('slow', { delayMs: 1500, text: 'slow but sure' });
  upstream.behave('quick', { text: 'quick' });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const deployment = (name: string) => ({ model_name: name, litellm_params: { model: `openai/${name}`, api_base: `${upstream.url}/v1` } });
const baseConfig = () => ({ model_list: ['long-stream', 'endless-stream', 'slow', 'quick'].map(deployment) });
const is = (msg: string) => (line: LogLine) => line.msg === msg;

function primaryPid(gateway: GatewayProcess): number {
  return gateway.proc.pid!;
}

async function readStream(client: OpenAI, model: string, onFirstChunk: () => void) {
  const response = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'go' }], stream: true }).asResponse();
  const raw = await new Promise<string>((resolve, reject) => {
    let text = '';
    let first = true;
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const pump = (): void => {
      reader.read().then(({ done, value }) => {
        if (done) return resolve(text);
        text += decoder.decode(value, { stream: true });
        if (first) {
          first = false;
          onFirstChunk();
        }
        pump();
      }, reject);
    };
    pump();
  });
  return raw;
}

describe('draining streams', () => {
  test('a stream in flight when its worker starts draining completes intact', async () => {
    const gateway = await startGateway({ config: baseConfig() });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // SIGHUP replaces the worker (surge, then drain) while the 3-second stream is running.
    const raw = await readStream(client, 'long-stream', () => process.kill(primaryPid(gateway), 'SIGHUP'));
    assert.ok(raw.endsWith('data: [DONE]\n\n'), 'the stream ended with [DONE]');
    const content = raw.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => (JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '').join('');
    assert.equal(content, 'x'.repeat(300));
    const drained = await gateway.waitForLog(is('drain finished'), 15_000);
    assert.equal(drained.in_flight_at_drain_start, 1);
    assert.equal(drained.forced, 0);
    await gateway.stop();
  });
  // A stream longer than a drain's deadline: recycle-drain.test.ts (the recycle cap and SIGTERM).
});

describe('signals', () => {
  test('SIGTERM with --shutdown_delay: readiness fails at once, requests are served through the delay, then the drain', async () => {
    const gateway = await startGateway({ config: baseConfig(), args: ['--shutdown_delay', '2'] });
    const signalledAt = Date.now();
    const exit = gateway.stop('SIGTERM');
    await gateway.waitForLog((l) => String(l.msg).startsWith('shutting down after the shutdown delay'));
    let readiness = 200;
    for (let i = 0; i < 50 && readiness === 200; i++) {
      readiness = (await fetch(`${gateway.url}/health/readiness`, { headers: { connection: 'close' } })).status;
      if (readiness === 200) await sleep(20);
    }
    assert.equal(readiness, 503, 'readiness fails during the delay');
    const during = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { connection: 'close' }, body: JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'still?' }] }) });
    assert.equal(during.status, 200, 'a new connection is still served');
    await during.arrayBuffer();
    assert.ok(Date.now() - signalledAt < 2_000, 'that was within the delay');
    assert.deepEqual(await exit, { code: 0, signal: null });
    const drainBegun = gateway.logs.find(is('drain begun'))!;
    assert.ok(Date.parse(String(drainBegun.time)) - signalledAt >= 1_900, 'the drain began after the delay');
  });


  test('SIGTERM with requests in flight: they complete, exit code 0', async () => {
    const gateway = await startGateway({ config: baseConfig(), args: ['--num_workers', '2'] });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const before = upstream.count('slow');
    const pending = Array.from({ length: 4 }, () => client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'wait' }] }));
    // In flight means the workers have them: wait until all four reached the upstream.
    for (let i = 0; i < 100 && upstream.count('slow') - before < 4; i++) await sleep(20);
    assert.equal(upstream.count('slow') - before, 4);
    const exit = gateway.stop('SIGTERM');
    const answers = await Promise.all(pending);
    for (const answer of answers) assert.equal(answer.choices[0]?.message.content, 'slow but sure');
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.equal(gateway.logs.filter(is('drain finished')).length, 2);
  });

  test('SIGHUP with a config that adds a model group: it appears with no failed request', async () => {
    const gateway = await startGateway({ config: baseConfig(), args: ['--num_workers', '2'] });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const listModels = async () => {
      const ids: string[] = [];
      for await (const model of client.models.list()) ids.push(model.id);
      return ids;
    };
    assert.ok(!(await listModels()).includes('added-later'));
    gateway.writeConfig({ model_list: [...baseConfig().model_list, deployment('quick'), { ...deployment('quick'), model_name: 'added-later' }] });
    process.kill(primaryPid(gateway), 'SIGHUP');
    const load = await runLoad({
      concurrency: 4,
      maxRequests: 5000,
      maxMs: 60_000,
      until: () => gateway.logs.filter(is('drain finished')).length >= 2,
      request: async () => {
        const answer = await client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'during reload' }] });
        if (answer.choices[0]?.message.content !== 'quick') throw new Error('wrong answer');
      },
    });
    assert.equal(load.failed, 0, load.errors.join('\n'));
    assert.ok(gateway.logs.some((l) => String(l.msg).startsWith('reload accepted')));
    for (let i = 0; i < 4; i++) assert.ok((await listModels()).includes('added-later'), 'every worker serves the new config');
    const answer = await client.chat.completions.create({ model: 'added-later', messages: [{ role: 'user', content: 'new' }] });
    assert.equal(answer.choices[0]?.message.content, 'quick');
    await gateway.stop();
  });

  test('SIGHUP: a model group only the new config has is served by workers still on the old one', async () => {
    // Replacements never become ready here, so the old workers serve on for the whole test.
    const gateway = await startGateway({
      config: baseConfig(),
      args: ['--num_workers', '2', '--worker_ready_timeout', '20'],
      env: { SWITCHYARD_TEST_HOOKS: '1', SWITCHYARD_TEST_NEVER_READY_FROM_SPAWN: '2' },
    });
    const oldPids = gateway.logs.filter(is('worker booted')).map((l) => l.worker_pid);
    gateway.writeConfig({ model_list: [...baseConfig().model_list, { ...deployment('quick'), model_name: 'added-later' }] });
    process.kill(primaryPid(gateway), 'SIGHUP');
    await gateway.waitForLog((l) => String(l.msg).startsWith('reload accepted'));
    await sleep(300); // the workers load the new config
    const ask = async (model: string) => {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST', headers: { connection: 'close', 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'new' }] }),
      });
      return { status: response.status, text: await response.text() };
    };
    for (let i = 0; i < 12; i++) {
      const fresh = await ask('added-later');
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal((await ask('quick')).status, 200);
    }
    assert.deepEqual(gateway.logs.filter((l) => l.msg === 'worker booted').map((l) => l.worker_pid), oldPids, 'no replacement took over');
    await gateway.stop();
  });

  test('SIGHUP with a broken config: nothing changes and the problems are logged', async () => {
    const gateway = await startGateway({ config: baseConfig() });
    const pidsBefore = gateway.logs.filter(is('worker booted')).map((l) => l.worker_pid);
    gateway.writeConfig('model_list:\n  - model_name: broken\n    litellm_params: {rpm: lots}\n');
    process.kill(primaryPid(gateway), 'SIGHUP');
    const rejected = await gateway.waitForLog(is('reload rejected: the config has problems; the workers keep the config they run'));
    const problems = (rejected.problems as string[]).join('\n');
    assert.match(problems, /model_list\[0\]\.litellm_params\.model: is required/);
    assert.match(problems, /model_list\[0\]\.litellm_params\.rpm: expected a number/);
    await sleep(1000);
    assert.ok(!gateway.logs.some(is('recycle begun')), 'no worker was replaced');
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'still' }] }) });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.deepEqual(gateway.logs.filter(is('worker booted')).map((l) => l.worker_pid), pidsBefore);
    await gateway.stop();
  });
});
