/**
 * What a bedrock/ deployment costs the gateway per call, in process: SigV4 signing of a request
 * (payload hash, canonical request, HMAC with the cached signing key) against the JSON
 * serialization every provider pays, and decoding AWS's binary event stream (framing, both CRCs,
 * headers) per event against decoding the same events as SSE. Prints microseconds and ratios.
 *
 *   npm run bench:bedrock                 (N=20000 to change the run length)
 */
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { SseByteDecoder } from '../src/protocol/index.js';
import { BedrockSigner, EventStreamReader } from '../src/providers/bedrock/aws-libraries.js';

const N = Number(process.env.N ?? 20_000);

async function timeAsync(n: number, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(2_000, n); i++) await run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await run();
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

function time(n: number, run: () => unknown): number {
  for (let i = 0; i < Math.min(200, n); i++) run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run();
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

const signer = new BedrockSigner('us-east-1', { accessKeyId: 'AKIABENCH', secretAccessKey: 'bench-secret', sessionToken: 'bench-token' });
const url = new URL('https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
const request = { messages: [{ role: 'user', content: [{ text: 'x'.repeat(2_000) }] }], inferenceConfig: { maxTokens: 512 } };
const headers = { 'content-type': 'application/json', accept: 'application/json' };
const stringify = time(N, () => JSON.stringify(request));
const sign = await timeAsync(N, () => signer.sign(url, headers, JSON.stringify(request)));

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const events = Array.from({ length: 100 }, (_, i) => ({ contentBlockIndex: 0, delta: { text: ` word${i}` }, p: 'abcdefghijkl' }));
const binary = Buffer.concat(events.map((data) => Buffer.from(codec.encode({
  headers: { ':event-type': { type: 'string', value: 'contentBlockDelta' }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'event' } },
  body: fromUtf8(JSON.stringify(data)),
}))));
const sse = Buffer.from(events.map((data) => `event: content_block_delta\ndata: ${JSON.stringify(data)}\n\n`).join(''));
const rounds = Math.max(1, Math.round(N / 10));
const binaryPerEvent = time(rounds, () => new EventStreamReader().push(binary)) / events.length;
const ssePerEvent = time(rounds, () => new SseByteDecoder().push(sse)) / events.length;

console.log('| step | µs | ratio |');
console.log('|---|---:|---:|');
console.log(`| JSON.stringify of a 2 KB Converse request | ${stringify.toFixed(2)} | 1 |`);
console.log(`| the same, signed (SigV4, with payload hash) | ${sign.toFixed(2)} | ${(sign / stringify).toFixed(1)} |`);
console.log(`| SSE decode, per event | ${ssePerEvent.toFixed(2)} | 1 |`);
console.log(`| AWS event-stream decode (CRCs checked), per event | ${binaryPerEvent.toFixed(2)} | ${(binaryPerEvent / ssePerEvent).toFixed(1)} |`);
