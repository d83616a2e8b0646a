/**
 * Streaming translation cost, in process: nanoseconds of gateway work per upstream SSE event
 * when a stream is translated (Anthropic → OpenAI chunks, OpenAI chunks → Anthropic events)
 * against passing the same events through. Two views: the per-event step alone (translate +
 * encode the output vs encode only), and with the SSE decoding of the upstream bytes included,
 * which every path pays. Bounded in rounds and in time; prints a table and ratios.
 *
 *   npm run bench:translation            (ROUNDS=15 ITERATIONS=200 to change the run length)
 */
import {
  AnthropicToOpenAIStream, ChatToResponsesStream, encodeSse, ItemIds, OpenAIToAnthropicStream, SseDecoder, type EventTranslator, type SseEvent,
} from '../src/protocol/index.js';
import { anthropicStreamEvents, type FakeAnthropicMessage } from '../test/support/fake-upstream.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const ITERATIONS = Number(process.env.ITERATIONS ?? 200);
const TIME_LIMIT_MS = 60_000;

/** A typical answer: ~300 words of text streamed a word at a time, then one tool call. */
function workload(): { anthropic: SseEvent[]; openai: SseEvent[] } {
  const words = Array.from({ length: 300 }, (_, i) => `word${i % 50}`).join(' ');
  const message: FakeAnthropicMessage = {
    id: 'msg_bench', type: 'message', role: 'assistant', model: 'claude-bench', stop_reason: 'tool_use', stop_sequence: null,
    content: [
      { type: 'text', text: words },
      { type: 'tool_use', id: 'toolu_bench', name: 'search', input: { query: 'switchyard benchmarks', limit: 10, filters: { lang: 'en' } } },
    ],
    usage: { input_tokens: 1200, output_tokens: 420, cache_read_input_tokens: 800, cache_creation_input_tokens: 0 },
  };
  const anthropic = anthropicStreamEvents(message).map((e) => ({ event: e.event, data: JSON.stringify(e.data) }));
  const toOpenAI = new AnthropicToOpenAIStream({ includeUsage: true });
  const openai = [...anthropic.flatMap((e) => toOpenAI.push(e)), ...toOpenAI.end()];
  return { anthropic, openai };
}

type Step = (events: SseEvent[]) => number;

/** Encode only: what the gateway does with an event it passes through. */
const passThrough: Step = (events) => {
  let bytes = 0;
  for (const event of events) bytes += encodeSse(event).length;
  return bytes;
};

const translated = (make: () => EventTranslator): Step => (events) => {
  const translator = make();
  let bytes = 0;
  for (const event of events) for (const out of translator.push(event)) bytes += encodeSse(out).length;
  for (const out of translator.end()) bytes += encodeSse(out).length;
  return bytes;
};

/** Two translators in a row, as the Responses API to Claude runs them (Anthropic → chat → Responses). */
class Chained implements EventTranslator {
  constructor(private readonly first: EventTranslator, private readonly second: EventTranslator) {}

  push(event: SseEvent): SseEvent[] {
    return this.first.push(event).flatMap((e) => this.second.push(e));
  }

  end(): SseEvent[] {
    return [...this.first.end().flatMap((e) => this.second.push(e)), ...this.second.end()];
  }
}

const responsesFrame = () => ({ id: 'resp_bench', createdAt: 1, request: { model: 'bench', input: 'Stream please.' }, ids: new ItemIds() });

/** The same step behind SSE decoding of the upstream's wire text (64 KiB-ish network reads). */
const withDecode = (step: Step, wire: string[]): Step => () => {
  const decoder = new SseDecoder();
  const events: SseEvent[] = [];
  for (const piece of wire) {
    // As openEventStream does for OpenAI streams: the [DONE] sentinel ends the stream.
    for (const event of decoder.push(piece)) if (event.data !== '[DONE]') events.push(event);
  }
  return step(events);
};

function wireOf(events: SseEvent[], openaiDone: boolean): string[] {
  const text = events.map(encodeSse).join('') + (openaiDone ? 'data: [DONE]\n\n' : '');
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += 16_384) pieces.push(text.slice(i, i + 16_384));
  return pieces;
}

interface Pair {
  base: number;
  cost: number;
  ratio: number;
  rounds: number;
}

/**
 * Pass-through and translation are timed in alternating rounds (the machine is shared, so load
 * shifts during a run); each figure is the median over rounds, the ratio the median of per-round
 * ratios.
 */
function measurePair(baseline: Step, step: Step, events: SseEvent[], deadline: number): Pair {
  let sink = 0;
  for (let i = 0; i < 50; i++) sink += baseline(events) + step(events); // warm-up: let the JIT settle
  const time = (fn: Step): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) sink += fn(events);
    return Number(process.hrtime.bigint() - started) / (ITERATIONS * events.length);
  };
  const bases: number[] = [];
  const costs: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS && Date.now() < deadline; round++) {
    const base = time(baseline);
    const cost = time(step);
    bases.push(base);
    costs.push(cost);
    ratios.push(cost / base);
  }
  if (sink === 42) console.log(''); // keep the work observable
  return { base: median(bases), cost: median(costs), ratio: median(ratios), rounds: bases.length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function main(): void {
  const { anthropic, openai } = workload();
  const deadline = Date.now() + TIME_LIMIT_MS;
  const anthropicToOpenAI = translated(() => new AnthropicToOpenAIStream({ includeUsage: true }));
  const openaiToAnthropic = translated(() => new OpenAIToAnthropicStream({ model: 'gpt-bench' }));
  const chatToResponses = translated(() => new ChatToResponsesStream(responsesFrame()));
  const anthropicToResponses = translated(() => new Chained(new AnthropicToOpenAIStream({ includeUsage: true }), new ChatToResponsesStream(responsesFrame())));
  const rows: Array<[string, Step, SseEvent[], Step]> = [
    ['Anthropic SSE → OpenAI chunks', anthropicToOpenAI, anthropic, passThrough],
    ['OpenAI chunks → Anthropic SSE', openaiToAnthropic, openai, passThrough],
    ['OpenAI chunks → Responses events', chatToResponses, openai, passThrough],
    ['Anthropic SSE → OpenAI chunks → Responses events', anthropicToResponses, anthropic, passThrough],
    ['  same, with SSE decode: Anthropic → OpenAI', withDecode(anthropicToOpenAI, wireOf(anthropic, false)), anthropic, withDecode(passThrough, wireOf(anthropic, false))],
    ['  same, with SSE decode: OpenAI → Anthropic', withDecode(openaiToAnthropic, wireOf(openai, true)), openai, withDecode(passThrough, wireOf(openai, true))],
    ['  same, with SSE decode: Anthropic → Responses', withDecode(anthropicToResponses, wireOf(anthropic, false)), anthropic, withDecode(passThrough, wireOf(anthropic, false))],
  ];
  console.log(`translation bench: ${anthropic.length} Anthropic events / ${openai.length} OpenAI chunks per stream, ${ROUNDS} rounds × ${ITERATIONS} streams, pass-through and translation in alternating rounds, medians, node ${process.version}`);
  console.log('');
  console.log('| path | pass-through ns/event | translated ns/event | extra ns/event (= µs per 1,000 events) | ratio |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, step, events, baseline] of rows) {
    const pair = measurePair(baseline, step, events, deadline);
    console.log(`| ${name} | ${pair.base.toFixed(0)} | ${pair.cost.toFixed(0)} | ${(pair.cost - pair.base).toFixed(0)} | ${pair.ratio.toFixed(1)}× |`);
  }
}

main();
