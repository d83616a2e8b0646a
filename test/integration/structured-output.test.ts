import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject, streamObject } from 'ai';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * Structured output to a Claude group through the OpenAI API, with the callers that use it by
 * default: the openai SDK's `.parse()` and `.stream()` with a zod schema, LangChain's
 * `withStructuredOutput`, the AI SDK's `generateObject` and `streamObject`. The fake Anthropic
 * upstream answers a forced tool as Claude does (a call of that tool, no text); each test checks
 * that the request reached it as a forced `json_tool_call` whose input schema is the caller's
 * schema, and that the caller got the object the model gave.
 */

// LangChain would trace to its own service if the environment asked it to; these callers talk
// to the gateway on 127.0.0.1 only.
for (const name of ['LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2', 'LANGSMITH_API_KEY', 'LANGCHAIN_API_KEY']) delete process.env[name];

const MASTER_KEY = 'sk-structured-suite-master-7';
const UPSTREAM_MODEL = 'claude-structured-up';

const Weather = z.object({
  city: z.string(),
  temperatures: z.array(z.number()),
  sky: z.enum(['clear', 'cloudy', 'rain']),
  wind: z.object({ speed: z.number(), direction: z.string() }),
});
type Weather = z.infer<typeof Weather>;

/** What the "model" answers: a different object each test, so that no answer is left over from another. */
let counter = 0;
function nextAnswer(): Weather {
  counter++;
  return { city: `Paris-${counter}`, temperatures: [counter, 14.5, -2], sky: 'cloudy', wind: { speed: 3 * counter, direction: 'NW' } };
}

let upstream: FakeUpstream;
let gateway: GatewayProcess;

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: [{ model_name: 'claude', litellm_params: { model: `anthropic/${UPSTREAM_MODEL}`, api_base: upstream.url, api_key: 'sk-ant-structured-0000' } }],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 0 },
    },
  });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
});

/** The model will call the forced tool with `answer`; returns it. */
function modelAnswers(answer: Weather): Weather {
  upstream.behave(UPSTREAM_MODEL, { forcedToolInput: answer, chunkCount: 5 });
  return answer;
}

function lastRequest(): RecordedRequest {
  const found = upstream.requests.filter((r) => r.model === UPSTREAM_MODEL).at(-1);
  assert.ok(found, 'the upstream received the request');
  return found;
}

/** The request Anthropic got: one forced tool whose input schema describes the caller's fields. */
function assertForcedFormatTool(request: RecordedRequest, stream: boolean): void {
  const body = request.body ?? {};
  assert.equal(request.path, '/v1/messages');
  assert.equal(body.stream === true, stream);
  assert.deepEqual(body.tool_choice, { type: 'tool', name: 'json_tool_call' });
  const tools = body.tools as Array<{ name: string; input_schema: { type: string; properties: Record<string, unknown>; required?: string[] } }>;
  assert.equal(tools.length, 1);
  assert.equal(tools[0]!.name, 'json_tool_call');
  assert.equal(tools[0]!.input_schema.type, 'object');
  assert.deepEqual(Object.keys(tools[0]!.input_schema.properties).sort(), ['city', 'sky', 'temperatures', 'wind']);
  assert.deepEqual([...(tools[0]!.input_schema.required ?? [])].sort(), ['city', 'sky', 'temperatures', 'wind']);
  assert.equal('response_format' in body, false, 'Anthropic has no response_format; it is not sent');
}

describe('openai SDK with a zod schema (openai/helpers/zod)', () => {
  const client = () => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });

  test('chat.completions.parse(): the parsed object is what the model gave', async () => {
    const answer = modelAnswers(nextAnswer());
    const completion = await client().chat.completions.parse({
      model: 'claude',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      response_format: zodResponseFormat(Weather, 'weather'),
    });
    const choice = completion.choices[0]!;
    assert.deepEqual(choice.message.parsed, answer);
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.message.tool_calls, undefined, 'the format tool is the answer, not a tool call');
    assertForcedFormatTool(lastRequest(), false);
  });

  test('chat.completions.stream(): content deltas build the JSON; the final message is parsed', async () => {
    const answer = modelAnswers(nextAnswer());
    const stream = client().chat.completions.stream({
      model: 'claude',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      response_format: zodResponseFormat(Weather, 'weather'),
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    stream.on('content.delta', ({ delta }) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    assert.ok(deltas.length > 1, `the JSON arrives in pieces (${deltas.length})`);
    assert.deepEqual(JSON.parse(deltas.join('')), answer);
    assert.deepEqual(final.choices[0]!.message.parsed, answer);
    assert.equal(final.choices[0]!.finish_reason, 'stop');
    assert.ok((final.usage?.total_tokens ?? 0) > 0);
    assertForcedFormatTool(lastRequest(), true);
  });
});

describe('LangChain ChatOpenAI.withStructuredOutput', () => {
  const chat = () => new ChatOpenAI({ model: 'claude', apiKey: MASTER_KEY, configuration: { baseURL: `${gateway.url}/v1` }, maxRetries: 0 });

  test('invoke: the default method (json_schema) answers the object', async () => {
    const answer = modelAnswers(nextAnswer());
    const result = await chat().withStructuredOutput(Weather, { name: 'weather' }).invoke('Weather in Paris?');
    assert.deepEqual(result, answer);
    assertForcedFormatTool(lastRequest(), false);
  });

  // `.stream()` rather than `streaming: true` with invoke(): that path estimates token counts with
  // tiktoken, whose data LangChain downloads from the internet.
  test('stream(): the object is built from the streamed content', async () => {
    const answer = modelAnswers(nextAnswer());
    const results: unknown[] = [];
    for await (const result of await chat().withStructuredOutput(Weather, { name: 'weather' }).stream('Weather in Paris?')) results.push(result);
    assert.deepEqual(results.at(-1), answer);
    assertForcedFormatTool(lastRequest(), true);
  });

  test('method jsonMode (response_format json_object): any object, still forced', async () => {
    const answer = modelAnswers(nextAnswer());
    const result = await chat().withStructuredOutput(Weather, { method: 'jsonMode' }).invoke('Weather in Paris? Answer in JSON.');
    assert.deepEqual(result, answer);
    const body = lastRequest().body ?? {};
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'json_tool_call' });
    assert.deepEqual((body.tools as Array<{ input_schema: unknown }>)[0]!.input_schema, { type: 'object', properties: {}, additionalProperties: true });
  });
});

describe('Vercel AI SDK (@ai-sdk/openai chat models)', () => {
  const provider = () => createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY });

  test('generateObject: the object is what the model gave', async () => {
    const answer = modelAnswers(nextAnswer());
    const { object, finishReason } = await generateObject({ model: provider().chat('claude'), schema: Weather, prompt: 'Weather in Paris?', maxRetries: 0 });
    assert.deepEqual(object, answer);
    assert.equal(finishReason, 'stop');
    assertForcedFormatTool(lastRequest(), false);
  });

  test('streamObject: partial objects grow into the final one', async () => {
    const answer = modelAnswers(nextAnswer());
    const result = streamObject({ model: provider().chat('claude'), schema: Weather, prompt: 'Weather in Paris?', maxRetries: 0 });
    const partials: unknown[] = [];
    for await (const partial of result.partialObjectStream) partials.push(partial);
    assert.deepEqual(await result.object, answer);
    assert.ok(partials.length > 1, `several partial objects (${partials.length})`);
    assert.deepEqual(partials.at(-1), answer);
    assertForcedFormatTool(lastRequest(), true);
  });
});
