import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type LogLine } from '../support/gateway.js';

/**
 * Workers forked without the bundle (a build without dist/bundle/, forced here with a test hook):
 * an unbundled worker loads its modules asynchronously while the IPC channel already flows, so
 * the primary's `listen` message, once sent right after the fork, was lost and the worker stayed
 * up, never ready, silent. Now the primary answers the worker's `hello`.
 */

let upstream: FakeUpstream;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('steady', { text: 'steady answer' });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const is = (msg: string) => (line: LogLine) => line.msg === msg;

test('unbundled workers boot, serve, and their replacements after a recycle do too', async () => {
  const gateway = await startGateway({
    config: { model_list: [{ model_name: 'steady', litellm_params: { model: 'openai/steady', api_base: `${upstream.url}/v1` } }] },
    args: ['--num_workers', '2', '--max_requests_before_restart', '5'],
    env: { SWITCHYARD_TEST_HOOKS: '1', SWITCHYARD_TEST_UNBUNDLED: '1' },
  });
  const statuses: number[] = [];
  for (let i = 0; i < 16; i++) {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ model: 'steady', messages: [{ role: 'user', content: 'hi' }] }),
    });
    statuses.push(response.status);
    await response.arrayBuffer();
  }
  assert.deepEqual(statuses, Array(16).fill(200));
  await gateway.waitForLog(() => gateway.logs.filter(is('worker booted')).length >= 3, 30_000, 'a replacement booted');
  const booted = gateway.logs.filter(is('worker booted'));
  assert.ok(booted.every((l) => l.code_cache === 'unbundled'), JSON.stringify(booted));
  // A worker that has just booted may answer before the primary told it how many are ready (null): ask again.
  let ready: number | null = null;
  for (let i = 0; i < 50 && ready !== 2; i++) {
    const body = await (await fetch(`${gateway.url}/health/readiness`, { headers: { connection: 'close' } })).json() as { workers: { ready: number | null } };
    ready = body.workers.ready;
    if (ready !== 2) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(ready, 2, 'both slots ready');
});
