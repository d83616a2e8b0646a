import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, streamText, tool, stepCountIs } from 'ai';
import { z } from 'zod';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * The callers that use the Responses API by default, against a native (`openai/`) and a
 * translated (`anthropic/`) group: the Vercel AI SDK's `openai('model')` (generateText,
 * streamText, a tool loop) and LangChain's `ChatOpenAI({ useResponsesApi: true })`.
 */

// LangChain would trace to its own service if the environment asked it to; these callers talk
// to the gateway on 127.0.0.1 only.
for (const name of ['LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2', 'LANGSMITH_API_KEY', 'LANGCHAIN_API_KEY']) delete process.env[name];

const MASTER_KEY = 'sk-responses-clients-master-3';
const GROUPS = [
  { group: 'gpt', upstream: 'gpt-clients-up' },
  { group: 'claude', upstream: 'claude-clients-up' },
] as const;

let upstream: FakeUpstream;
let gateway: GatewayProcess;

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'gpt', litellm_params: { model: 'openai/gpt-clients-up', api_base: `${upstream.url}/v1`, api_key: 'sk-openai-upstream-77' } },
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-clients-up', api_base: upstream.url, api_key: 'sk-ant-upstream-77' } },
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 0 },
    },
  });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

const provider = () => createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY });

for (const { group, upstream: model } of GROUPS) {
  describe(`Vercel AI SDK openai('${group}') (the Responses API)`, () => {
    test('generateText', async () => {
      upstream.behave(model, { text: `A haiku from ${group}` });
      const since = upstream.requests.length;
      const result = await generateText({ model: provider()(group), prompt: 'Write a haiku.', maxRetries: 0 });
      assert.equal(result.text, `A haiku from ${group}`);
      assert.equal(result.finishReason, 'stop');
      assert.ok((result.usage.inputTokens ?? 0) > 0 && (result.usage.outputTokens ?? 0) > 0);
      const seen = upstream.requests.slice(since).filter((r) => r.model === model);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.path, group === 'gpt' ? '/v1/responses' : '/v1/messages', 'the SDK called /v1/responses, not chat completions');
    });

    test('streamText: the text arrives in pieces', async () => {
      upstream.behave(model, { text: 'streamed words arrive one by one', chunkCount: 6 });
      const result = streamText({ model: provider()(group), prompt: 'Stream something.', maxRetries: 0 });
      const pieces: string[] = [];
      for await (const piece of result.textStream) pieces.push(piece);
      assert.ok(pieces.length > 1, `several pieces (${pieces.length})`);
      assert.equal(pieces.join(''), 'streamed words arrive one by one');
      assert.equal(await result.finishReason, 'stop');
      assert.ok(((await result.usage).outputTokens ?? 0) > 0);
    });

    test('generateText with a tool: the call, its result, the answer', async () => {
      upstream.behave(model, (record) => {
        const body = JSON.stringify(record.body ?? {});
        return body.includes('"tool_result"') || body.includes('"function_call_output"')
          ? { text: 'It is 21 degrees.' }
          : { toolCall: { name: 'temperature', arguments: '{"city":"Oslo"}' } };
      });
      const asked: string[] = [];
      const result = await generateText({
        model: provider()(group),
        prompt: 'Temperature in Oslo?',
        tools: { temperature: tool({ description: 'Temperature of a city', inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => { asked.push(city); return { celsius: 21 }; } }) },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      });
      assert.deepEqual(asked, ['Oslo']);
      assert.equal(result.text, 'It is 21 degrees.');
    });
  });

  describe(`LangChain ChatOpenAI({ useResponsesApi: true }) on ${group}`, () => {
    test('invoke', async () => {
      upstream.behave(model, { text: `LangChain answer from ${group}` });
      const since = upstream.requests.length;
      const chat = new ChatOpenAI({ model: group, apiKey: MASTER_KEY, configuration: { baseURL: `${gateway.url}/v1` }, useResponsesApi: true, maxRetries: 0 });
      const message = await chat.invoke('Say something.');
      assert.equal(message.text, `LangChain answer from ${group}`);
      assert.ok((message.usage_metadata?.total_tokens ?? 0) > 0);
      const seen = upstream.requests.slice(since).filter((r) => r.model === model);
      assert.equal(seen[0]?.path, group === 'gpt' ? '/v1/responses' : '/v1/messages');
    });
  });
}
