import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess } from '../support/gateway.js';

/**
 * `POST /v1/responses` with the official openai SDK (v6) as the caller, against an `openai/`
 * group (forwarded natively) and an `anthropic/` group (translated through chat to Messages):
 * plain text, streams (every event numbered in order), a function tool round trip continued with
 * `previous_response_id`, and `text.format` json_schema parsed by the SDK. Each test checks both
 * ends: what the fake upstream received, and what the SDK made of the answer.
 */

const MASTER_KEY = 'sk-responses-suite-master-5';
const GROUPS = [
  { group: 'gpt', upstream: 'gpt-resp-up', native: true },
  { group: 'claude', upstream: 'claude-resp-up', native: false },
] as const;

const Weather = z.object({ city: z.string(), celsius: z.number(), sky: z.enum(['clear', 'cloudy']) });

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let client: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'gpt', litellm_params: { model: 'openai/gpt-resp-up', api_base: `${upstream.url}/v1`, api_key: 'sk-openai-upstream-1234' } },
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-resp-up', api_base: upstream.url, api_key: 'sk-ant-upstream-1234' } },
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

function requestsFor(model: string, since: number): RecordedRequest[] {
  return upstream.requests.slice(since).filter((r) => r.model === model);
}

/** The upstream answers with a tool call until the conversation holds the call's result. */
function toolLoop(model: string): void {
  upstream.behave(model, (record) => {
    const body = JSON.stringify(record.body ?? {});
    const answered = body.includes('"tool_result"') || body.includes('"function_call_output"') || typeof record.body?.previous_response_id === 'string';
    return answered ? { text: 'It is sunny in Paris.' } : { toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
  });
}

const tools: OpenAI.Responses.Tool[] = [{
  type: 'function', name: 'get_weather', description: 'Weather in a city', strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
}];

for (const { group, upstream: model, native } of GROUPS) {
  describe(`responses.create on ${group} (${native ? 'native' : 'translated'})`, () => {
    test('non-stream: text, usage, instructions reach the upstream', async () => {
      const since = upstream.requests.length;
      const response = await client.responses.create({ model: group, input: 'hello there', instructions: 'Be brief.', max_output_tokens: 200, temperature: 0.2 });
      assert.equal(response.output_text, 'fake reply to: hello there');
      assert.equal(response.status, 'completed');
      assert.ok(response.id.startsWith('resp_'));
      const usage = response.usage!;
      assert.ok(usage.input_tokens > 0 && usage.output_tokens > 0);
      assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
      const [seen] = requestsFor(model, since);
      assert.ok(seen, 'the upstream was called');
      if (native) {
        assert.equal(seen.path, '/v1/responses');
        assert.deepEqual(seen.body, { model, input: 'hello there', instructions: 'Be brief.', max_output_tokens: 200, temperature: 0.2 });
        assert.equal(seen.headers.authorization, 'Bearer sk-openai-upstream-1234');
      } else {
        assert.equal(seen.path, '/v1/messages');
        assert.equal(seen.body?.system, 'Be brief.');
        assert.equal(seen.body?.max_tokens, 200);
        assert.deepEqual(seen.body?.messages, [{ role: 'user', content: 'hello there' }]);
      }
      // The log line and its token counts, under the route's pattern.
      const line = await gateway.waitForLog((l) => l.route === '/v1/responses' && l.model_group === group && l.status === 200 && (l.tokens as { input?: number } | undefined)?.input === usage.input_tokens);
      assert.deepEqual(line.tokens, { input: usage.input_tokens, output: usage.output_tokens });
    });

    test('stream: the whole event sequence, numbered 0, 1, 2, …; deltas make the text', async () => {
      upstream.behave(model, { text: 'one two three four', chunkCount: 4 });
      const stream = client.responses.stream({ model: group, input: 'count please' });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const final = await stream.finalResponse();
      assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
      const types = events.map((e) => e.type);
      assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
      assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
      const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => (e as { delta: string }).delta);
      assert.equal(deltas.length, 4);
      assert.equal(deltas.join(''), 'one two three four');
      assert.equal(final.output_text, 'one two three four');
      assert.ok((final.usage?.total_tokens ?? 0) > 0);
    });

    test('function tool round trip, continued with previous_response_id (non-stream)', async () => {
      toolLoop(model);
      const since = upstream.requests.length;
      const first = await client.responses.create({ model: group, input: 'Weather in Paris?', tools });
      const call = first.output.find((item) => item.type === 'function_call');
      assert.ok(call && call.type === 'function_call');
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
      const second = await client.responses.create({
        model: group, tools, previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"sky":"sunny"}' }],
      });
      assert.equal(second.output_text, 'It is sunny in Paris.');
      assert.equal(second.previous_response_id, first.id);
      const [, followUp] = requestsFor(model, since);
      assert.ok(followUp);
      if (native) {
        assert.equal(followUp.body?.previous_response_id, first.id, 'forwarded as sent: the upstream keeps the conversation');
      } else {
        // The stored conversation became Claude's turns: the question, the tool call, its result.
        const messages = followUp.body?.messages as Array<{ role: string; content: Array<Record<string, unknown>> | string }>;
        assert.equal(messages.length, 3);
        const use = (messages[1]!.content as Array<Record<string, unknown>>).find((b) => b.type === 'tool_use')!;
        const result = (messages[2]!.content as Array<Record<string, unknown>>)[0]!;
        assert.equal(use.id, call.call_id);
        assert.deepEqual(use.input, { city: 'Paris' });
        assert.deepEqual(result, { type: 'tool_result', tool_use_id: call.call_id, content: '{"sky":"sunny"}' });
      }
    });

    test('function tool round trip in a stream, the items sent back by the client', async () => {
      toolLoop(model);
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris?' }];
      const stream = client.responses.stream({ model: group, input, tools, store: false });
      const argumentDeltas: string[] = [];
      stream.on('response.function_call_arguments.delta', (event) => argumentDeltas.push(event.delta));
      const first = await stream.finalResponse();
      const call = first.output.find((item) => item.type === 'function_call');
      assert.ok(call && call.type === 'function_call');
      assert.deepEqual(JSON.parse(argumentDeltas.join('')), { city: 'Paris' });
      const next = client.responses.stream({
        model: group, tools, store: false,
        input: [...input, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      });
      assert.equal((await next.finalResponse()).output_text, 'It is sunny in Paris.');
    });

    test('text.format json_schema: responses.parse and a parsed stream', async () => {
      const answer = { city: `Paris-${group}`, celsius: 21.5, sky: 'clear' as const };
      upstream.behave(model, { forcedToolInput: answer, chunkCount: 5 });
      const since = upstream.requests.length;
      const parsed = await client.responses.parse({ model: group, input: 'Weather in Paris?', text: { format: zodTextFormat(Weather, 'weather') } });
      assert.deepEqual(parsed.output_parsed, answer);
      const streamed = await client.responses.stream({ model: group, input: 'Weather in Paris?', text: { format: zodTextFormat(Weather, 'weather') } }).finalResponse();
      assert.deepEqual(streamed.output_parsed, answer);
      const [seen] = requestsFor(model, since);
      if (native) assert.equal((seen?.body?.text as { format: { name: string } }).format.name, 'weather');
      else assert.deepEqual(seen?.body?.tool_choice, { type: 'tool', name: 'json_tool_call' });
    });

    test('stored responses: retrieve, input_items, delete', async () => {
      upstream.behave(model, {});
      const created = await client.responses.create({ model: group, input: 'remember me' });
      const again = await client.responses.retrieve(created.id);
      assert.equal(again.id, created.id);
      assert.equal(again.output_text, 'fake reply to: remember me');
      const items = await client.responses.inputItems.list(created.id, { order: 'asc' });
      assert.equal(items.data.length, 1);
      const message = items.data[0] as { type: string; role: string; content: Array<{ type: string; text: string }> };
      assert.equal(message.role, 'user');
      assert.equal(message.content[0]!.text, 'remember me');
      await client.responses.delete(created.id);
      await assert.rejects(client.responses.retrieve(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
    });
  });
}

describe('what translation cannot carry, and ids it does not hold', () => {
  test('a built-in tool on a translated group: a 400 naming it; the upstream is not called', async () => {
    const since = upstream.requests.length;
    await assert.rejects(
      client.responses.create({ model: 'claude', input: 'search', tools: [{ type: 'web_search' }] }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'tools[0].type' && /web_search/.test(error.message),
    );
    assert.equal(requestsFor('claude-resp-up', since).length, 0);
  });

  test('a previous_response_id the gateway does not hold: OpenAI\'s 400 on a translated group', async () => {
    await assert.rejects(
      client.responses.create({ model: 'claude', input: 'go on', previous_response_id: 'resp_unknown000000000000000000' }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.code === 'previous_response_not_found' && error.param === 'previous_response_id',
    );
  });

  test('a field the real API does not know: the native upstream\'s own 400 passes through', async () => {
    await assert.rejects(
      client.responses.create({ model: 'gpt', input: 'hi', not_a_field: 1 } as OpenAI.Responses.ResponseCreateParamsNonStreaming),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'not_a_field',
    );
  });
});

describe('LiteLLM\'s gateway-only fields on /v1/responses', () => {
  for (const { group, upstream: model } of GROUPS) {
    test(`${group}: mock_response answers without an upstream call; LiteLLM fields never reach the upstream`, async () => {
      const since = upstream.requests.length;
      const mocked = await client.responses.create({ model: group, input: 'hi', mock_response: 'canned answer' } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
      assert.equal(mocked.output_text, 'canned answer');
      assert.equal(requestsFor(model, since).length, 0, 'no upstream call');
      const answer = await client.responses.create({
        model: group, input: 'hi', num_retries: 1, litellm_session_id: 's-1', metadata: { tags: ['team-a'] },
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming);
      assert.equal(answer.status, 'completed');
      const sent = requestsFor(model, since);
      assert.equal(sent.length, 1);
      for (const field of ['num_retries', 'litellm_session_id', 'mock_response']) assert.ok(!(field in (sent[0]!.body ?? {})), `${field} was taken out`);
      assert.ok(!JSON.stringify(sent[0]!.body ?? {}).includes('team-a'), 'LiteLLM metadata was taken out');
    });
  }
});
