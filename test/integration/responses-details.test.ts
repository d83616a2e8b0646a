import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.js';
import { responseEvents } from '../support/fake-responses-api.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * The Responses API's finer points: a native stream passed on byte for byte, a stream that fails
 * after it began (both paths end with the API's error event), Azure's path, Claude's thinking as
 * reasoning (effort in, summary out), an answer cut at max_output_tokens, the mock provider.
 */

const MASTER_KEY = 'sk-responses-details-master-1';
let upstream: FakeUpstream;
let gateway: GatewayProcess;
let client: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'gpt', litellm_params: { model: 'openai/gpt-details-up', api_base: `${upstream.url}/v1`, api_key: 'sk-openai-details-1' } },
        { model_name: 'azure', litellm_params: { model: 'azure/my-responses-deployment', api_base: upstream.url, api_key: 'azure-details-key-1', api_version: '2025-03-01-preview' } },
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-details-up', api_base: upstream.url, api_key: 'sk-ant-details-1' } },
        { model_name: 'mocked', litellm_params: { model: 'openai/m', mock_response: 'Mocked words for you' } },
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 0 },
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

function lastFor(model: string): RecordedRequest {
  const found = upstream.requests.filter((r) => r.model === model).at(-1);
  assert.ok(found, `${model} was called`);
  return found;
}

async function rawStream(body: object): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${gateway.url}/v1/responses`, {
    method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

describe('native streams', () => {
  test('passed on byte for byte: the bytes are exactly the events the upstream wrote', async () => {
    upstream.behave('gpt-details-up', { text: 'Bytes — and “quotes”, 東京 too.', chunkCount: 5 });
    const { status, text, headers } = await rawStream({ model: 'gpt', input: 'bytes please' });
    assert.equal(status, 200);
    assert.match(String(headers.get('content-type')), /^text\/event-stream/);
    assert.ok(headers.get('x-litellm-overhead-duration-ms'));
    const id = /"id":"(resp_[^"]+)"/.exec(text)?.[1];
    assert.ok(id);
    // The upstream keeps the response; its stream is rebuilt from it exactly as the fake wrote it.
    const stored = await (await fetch(`${upstream.url}/v1/responses/${id}`)).json() as Record<string, unknown>;
    const expected = responseEvents(stored, 5).map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join('');
    assert.equal(text, expected);
  });

  test('Azure: /openai/responses with the api-version, the deployment in the body, its api-key header', async () => {
    upstream.behave('my-responses-deployment', {});
    const response = await client.responses.create({ model: 'azure', input: 'hello azure' });
    assert.equal(response.output_text, 'fake reply to: hello azure');
    const seen = lastFor('my-responses-deployment');
    assert.equal(seen.path, '/openai/responses');
    assert.equal(seen.query, '?api-version=2025-03-01-preview');
    assert.equal(seen.headers['api-key'], 'azure-details-key-1');
  });
});

describe('a stream that fails after it began', () => {
  for (const [group, model] of [['gpt', 'gpt-details-up'], ['claude', 'claude-details-up']] as const) {
    test(`${group}: the events before, then the API's error event, which the SDK raises`, async () => {
      upstream.behave(model, { text: 'one two three four five six', errorEventAfterChunks: 5 });
      const { status, text } = await rawStream({ model: group, input: 'go' });
      assert.equal(status, 200);
      const last = text.trim().split('\n\n').at(-1)!;
      assert.match(last, /^event: error\ndata: /);
      const error = JSON.parse(last.split('\ndata: ')[1]!) as { type: string; sequence_number: number; error: { message: string; type: string } };
      assert.equal(error.type, 'error');
      assert.equal(error.sequence_number, text.trim().split('\n\n').length - 1, 'numbered after the events before it');
      assert.match(error.error.message, /failed mid-stream/);
      await assert.rejects(async () => {
        for await (const event of await client.responses.create({ model: group, input: 'go', stream: true })) void event;
      }, (e: unknown) => e instanceof OpenAI.APIError && /failed mid-stream/.test(e.message));
    });
  }
});

describe('Claude through translation', () => {
  test('reasoning.effort becomes a thinking budget; thinking comes back as a reasoning item with a summary', async () => {
    upstream.behave('claude-details-up', { thinking: 'Let me think about Paris.', text: 'Paris.' });
    const response = await client.responses.create({ model: 'claude', input: 'Capital of France?', reasoning: { effort: 'low', summary: 'auto' } });
    assert.deepEqual(lastFor('claude-details-up').body?.thinking, { type: 'enabled', budget_tokens: 1024 });
    assert.equal(lastFor('claude-details-up').body?.max_tokens, 1024 + 4096);
    const [reasoning, message] = response.output;
    assert.equal(reasoning?.type, 'reasoning');
    assert.deepEqual((reasoning as OpenAI.Responses.ResponseReasoningItem).summary, [{ type: 'summary_text', text: 'Let me think about Paris.' }]);
    assert.equal(message?.type, 'message');
    assert.equal(response.output_text, 'Paris.');
  });

  test('streamed thinking: reasoning summary events before the text', async () => {
    upstream.behave('claude-details-up', { thinking: 'Thinking hard.', text: 'Done.' });
    const stream = client.responses.stream({ model: 'claude', input: 'Think.', reasoning: { effort: 'medium' } });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    assert.ok(types.indexOf('response.reasoning_summary_text.delta') < types.indexOf('response.output_text.delta'));
    assert.equal((final.output[0] as OpenAI.Responses.ResponseReasoningItem).summary[0]?.text, 'Thinking hard.');
    assert.equal(final.output_text, 'Done.');
  });

  test('the signed thinking goes back to Claude whole with the next turn, streamed or not', async () => {
    for (const streamed of [false, true]) {
      upstream.behave('claude-details-up', { thinking: `Plan ${streamed}.`, text: 'Calling.' });
      const first = streamed
        ? await client.responses.stream({ model: 'claude', input: 'Think.', reasoning: { effort: 'low' } }).finalResponse()
        : await client.responses.create({ model: 'claude', input: 'Think.', reasoning: { effort: 'low' } });
      const reasoning = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
      assert.equal(reasoning.type, 'reasoning');
      assert.equal(typeof reasoning.encrypted_content, 'string', `streamed ${streamed}: the signed block travels in encrypted_content`);
      upstream.behave('claude-details-up', { text: 'Next.' });
      await client.responses.create({
        model: 'claude', reasoning: { effort: 'low' },
        input: [{ role: 'user', content: 'Think.' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: 'Go on.' }],
      });
      const messages = lastFor('claude-details-up').body?.messages as Array<{ role: string; content: unknown }>;
      const assistant = messages.find((m) => m.role === 'assistant');
      assert.ok(Array.isArray(assistant?.content), `streamed ${streamed}: ${JSON.stringify(messages)}`);
      assert.deepEqual((assistant.content as unknown[])[0], { type: 'thinking', thinking: `Plan ${streamed}.`, signature: 'fake-signature' });
    }
  });

  test('an answer cut at max_output_tokens is incomplete, with the reason', async () => {
    upstream.behave('claude-details-up', { text: 'cut short', stopReason: 'max_tokens' });
    const response = await client.responses.create({ model: 'claude', input: 'A long story.', max_output_tokens: 20 });
    assert.equal(response.status, 'incomplete');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
    const stream = client.responses.stream({ model: 'claude', input: 'A long story.', max_output_tokens: 20 });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.equal(types.at(-1), 'response.incomplete');
  });

  test('an image and a system message reach Claude as its own blocks', async () => {
    upstream.behave('claude-details-up', {});
    await client.responses.create({
      model: 'claude',
      input: [
        { role: 'developer', content: 'Describe images.' },
        { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' }] },
      ],
    });
    const body = lastFor('claude-details-up').body!;
    assert.equal(body.system, 'Describe images.');
    assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] }]);
  });
});

describe('the mock provider', () => {
  test('answers through the same translation, streamed word by word', async () => {
    const response = await client.responses.create({ model: 'mocked', input: 'anything' });
    assert.equal(response.output_text, 'Mocked words for you');
    const deltas: string[] = [];
    const stream = client.responses.stream({ model: 'mocked', input: 'anything' });
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    await stream.finalResponse();
    assert.deepEqual(deltas, ['Mocked', ' words', ' for', ' you']);
  });
});
