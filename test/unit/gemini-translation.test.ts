import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GatewayError } from '../../src/core/index.js';
import { chatToGemini } from '../../src/providers/gemini/gemini-request.js';
import { geminiToChatCompletion } from '../../src/providers/gemini/gemini-response.js';
import { toGeminiSchema } from '../../src/providers/gemini/gemini-schema.js';
import { GeminiToOpenAIStream } from '../../src/providers/gemini/gemini-stream.js';
import { googleErrorFromResponse } from '../../src/providers/gemini/google-errors.js';
import type { UpstreamResponse } from '../../src/providers/http-pool.js';
import { classifyFailure } from '../../src/router/failure-kind.js';

function answered(statusCode: number, body: unknown): UpstreamResponse {
  return { statusCode, headers: {}, text: async () => JSON.stringify(body), abort: () => undefined, [Symbol.asyncIterator]: () => { throw new Error('not streamed'); } };
}

const options = () => ({ dropUnsupported: false, dropped: [] as string[] });

describe('OpenAI chat → Gemini generateContent', () => {
  test('turns: system instruction, merged neighbours, tool calls and named function responses', () => {
    const body = chatToGemini({
      model: 'm',
      messages: [
        { role: 'system', content: 'S1' },
        { role: 'developer', content: 'S2' },
        { role: 'user', content: 'a' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'gs://bucket/cat.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }, { id: 'c2', type: 'function', function: { name: 'g', arguments: '' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '{"ok":true}' },
        { role: 'tool', tool_call_id: 'c2', content: 'plain text' },
      ],
    }, options());
    assert.deepEqual(body.systemInstruction, { parts: [{ text: 'S1' }, { text: 'S2' }] });
    assert.deepEqual(body.contents, [
      { role: 'user', parts: [{ text: 'a' }, { fileData: { mimeType: 'image/png', fileUri: 'gs://bucket/cat.png' } }] },
      { role: 'model', parts: [{ functionCall: { name: 'f', args: { x: 1 } } }, { functionCall: { name: 'g', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { ok: true } } }, { functionResponse: { name: 'g', response: { content: 'plain text' } } }] },
    ]);
  });

  test('tool_choice, n, reasoning_effort; what Gemini cannot express is refused naming the field, or dropped with drop_params', () => {
    const body = chatToGemini({ model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'function', function: { name: 'f' } }, n: 2, reasoning_effort: 'low', user: 'u' }, options());
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } });
    assert.deepEqual(body.generationConfig, { candidateCount: 2, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    assert.throws(() => chatToGemini({ model: 'm', messages: [{ role: 'user', content: 'x' }], logprobs: true }, options()), (error: GatewayError) => error.param === 'logprobs' && error.status === 400);
    const dropping = { dropUnsupported: true, dropped: [] as string[] };
    chatToGemini({ model: 'm', messages: [{ role: 'user', content: 'x' }], logprobs: true, user: 'u' }, dropping);
    assert.deepEqual(dropping.dropped.sort(), ['logprobs', 'user']);
    assert.throws(() => chatToGemini({ model: 'm', messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }, options()), /no earlier assistant message has a tool call with id "nope"/);
  });

  test('a thought signature rides in the tool call id and goes back with the call (Gemini 3 refuses a call without it)', () => {
    const answer = geminiToChatCompletion({ candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'c2lnbmF0dXJl' }] }, finishReason: 'STOP' }] }, 'm', 'label');
    const call = answer.choices[0]!.message.tool_calls![0]!;
    assert.match(call.id, /^call_[\w-]+__thought__c2lnbmF0dXJl$/);
    const body = chatToGemini({ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '{}' }] }, options());
    assert.deepEqual(body.contents[1], { role: 'model', parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'c2lnbmF0dXJl' }] });
  });

  test('JSON Schema → Gemini Schema: allow-listed keys, nullable, const, local $refs, anyOf', () => {
    const schema = toGeminiSchema({
      $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false,
      properties: { kind: { const: 'a' }, who: { $ref: '#/$defs/Person' }, tags: { type: 'array', items: { type: ['string', 'null'] } }, either: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
      $defs: { Person: { type: 'object', properties: { name: { type: 'string' } } } },
    }, 'where');
    assert.deepEqual(schema, {
      type: 'object',
      properties: {
        kind: { enum: ['a'] },
        who: { type: 'object', properties: { name: { type: 'string' } } },
        tags: { type: 'array', items: { type: 'string', nullable: true } },
        either: { type: 'string', nullable: true },
      },
    });
    assert.throws(() => toGeminiSchema({ $ref: '#/$defs/Loop', $defs: { Loop: { $ref: '#/$defs/Loop' } } }, 'p'), /recursive/);
  });
});

describe('Gemini answers → OpenAI', () => {
  test('text, thoughts, function calls, finish reasons and usage', () => {
    const completion = geminiToChatCompletion({
      candidates: [{ content: { parts: [{ text: 'hmm', thought: true }, { text: 'Hi' }, { functionCall: { name: 'f', args: { a: 1 } } }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, thoughtsTokenCount: 2, cachedContentTokenCount: 6, totalTokenCount: 16 },
      modelVersion: 'gemini-x',
    }, 'm', 'label', 1);
    const choice = completion.choices[0]!;
    assert.equal(choice.message.content, 'Hi');
    assert.equal(choice.message.reasoning_content, 'hmm');
    assert.equal(choice.message.tool_calls?.[0]?.function.arguments, '{"a":1}');
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.deepEqual(completion.usage, { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16, prompt_tokens_details: { cached_tokens: 6 }, completion_tokens_details: { reasoning_tokens: 2 } });
    const long = geminiToChatCompletion({ candidates: [{ content: { parts: [{ text: 'cut' }] }, finishReason: 'MAX_TOKENS' }] }, 'm', 'label');
    assert.equal(long.choices[0]?.finish_reason, 'length');
  });

  test('a blocked prompt or an answer blocked before any content is a 400 content_filter, never the deployment\'s fault', () => {
    for (const answer of [{ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }, { candidates: [{ finishReason: 'SAFETY' }] }]) {
      assert.throws(() => geminiToChatCompletion(answer, 'm', 'label'), (error: GatewayError) => {
        assert.equal(error.status, 400);
        assert.equal(error.upstreamCode, 'content_filter');
        assert.match(error.message, /safety filters/);
        return true;
      });
    }
  });

  test('a stream: role first, deltas, a whole tool call, the finish; cut short without a finishReason it throws', () => {
    const translator = new GeminiToOpenAIStream({ includeUsage: true, model: 'm', label: 'label' });
    const events = [
      { candidates: [{ content: { parts: [{ text: 'Hel' }] } }] },
      { candidates: [{ content: { parts: [{ text: 'lo' }, { functionCall: { name: 'f', args: {} } }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 } },
    ].flatMap((data) => translator.push({ data: JSON.stringify(data) }));
    const chunks = [...events, ...translator.end()].map((e) => JSON.parse(e.data) as { choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown });
    assert.deepEqual(chunks.map((c) => c.choices[0]?.delta.content ?? null), ['', 'Hel', 'lo', null, null, null]);
    assert.equal((chunks[3]!.choices[0]!.delta.tool_calls as Array<{ function: { name: string } }>)[0]!.function.name, 'f');
    assert.equal(chunks[4]!.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual(chunks[5]!.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    const cut = new GeminiToOpenAIStream({ includeUsage: false, model: 'm', label: 'label' });
    cut.push({ data: JSON.stringify({ candidates: [{ content: { parts: [{ text: 'Hel' }] } }] }) });
    assert.throws(() => cut.end(), (error: GatewayError) => error.origin === 'upstream' && /cut short/.test(error.message));
  });
});

describe('Google error answers', () => {
  test('429 RESOURCE_EXHAUSTED: a rate limit, RetryInfo as Retry-After; 400 INVALID_ARGUMENT: the caller\'s fault; API_KEY_INVALID: a broken deployment', async () => {
    const busy = await googleErrorFromResponse(answered(429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '16.2s' }] } }), 'label');
    assert.deepEqual([busy.status, busy.upstreamCode, busy.headers['retry-after'], classifyFailure(busy)], [429, 'RESOURCE_EXHAUSTED', '17', 'rate_limited']);
    const invalid = await googleErrorFromResponse(answered(400, { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'bad field' } }), 'label');
    assert.deepEqual([invalid.status, invalid.upstreamCode, invalid.message, classifyFailure(invalid)], [400, 'INVALID_ARGUMENT', 'bad field', 'bad_request']);
    const key = await googleErrorFromResponse(answered(400, { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'API key not valid.', details: [{ reason: 'API_KEY_INVALID' }] } }), 'label');
    assert.deepEqual([key.status, classifyFailure(key)], [401, 'deployment_broken']);
    const claude = await googleErrorFromResponse(answered(400, { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } }), 'label');
    assert.deepEqual([claude.status, claude.upstreamCode, claude.message], [400, 'invalid_request_error', 'max_tokens: Field required']);
  });
});
