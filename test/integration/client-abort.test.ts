import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { sleep, startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/** A client that goes away stops the upstream call at once: nobody pays for tokens nobody reads. */

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let client: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('long-stream', { chunkCount: 100, chunkIntervalMs: 100 });
  upstream.behave('long-wait', { delayMs: 8000 });
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'long-stream', litellm_params: { model: 'openai/long-stream', api_base: `${upstream.url}/v1` } },
        { model_name: 'long-wait', litellm_params: { model: 'openai/long-wait', api_base: `${upstream.url}/v1` } },
      ],
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

async function closedWithin(record: RecordedRequest, since: number, ms: number): Promise<number> {
  const deadline = since + ms;
  while (record.closedAt === undefined && Date.now() < deadline) await sleep(10);
  assert.ok(record.closedAt !== undefined, `the upstream connection was still open ${ms} ms after the client left`);
  return record.closedAt - since;
}

test('a client that aborts a long stream: the upstream sees its connection closed within a second', async () => {
  const stream = await client.chat.completions.create({ model: 'long-stream', messages: [{ role: 'user', content: 'talk for ten seconds' }], stream: true });
  let received = 0;
  for await (const _chunk of stream) {
    if (++received === 3) break; // leaving the loop aborts the SDK's request
  }
  const abortedAt = Date.now();
  const record = upstream.requests.find((r) => r.model === 'long-stream')!;
  const delay = await closedWithin(record, abortedAt, 1000);
  assert.equal(record.completed, false, 'the upstream stream must not have run to its end');
  const line = await gateway.waitForLog((l) => l.msg === 'request' && l.model_group === 'long-stream');
  assert.equal(line.status, 499);
  console.log(`upstream closed ${delay} ms after the client aborted`);
});

test('a client that aborts while waiting for a non-streaming answer: the upstream call stops too', async () => {
  const controller = new AbortController();
  const pending = client.chat.completions.create({ model: 'long-wait', messages: [{ role: 'user', content: 'slowly' }] }, { signal: controller.signal });
  await sleep(300);
  controller.abort();
  await assert.rejects(pending);
  const abortedAt = Date.now();
  const record = upstream.requests.find((r) => r.model === 'long-wait')!;
  await closedWithin(record, abortedAt, 1000);
  assert.equal(record.completed, false);
});
