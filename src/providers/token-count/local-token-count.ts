import { createRequire } from 'node:module';
import type { ChatMessage } from '../../protocol/index.js';

/**
 * Token counts made in the gateway, for deployments without a count API of their own, with
 * gpt-tokenizer (the BPE encodings OpenAI's models use, in plain JS; exact tiktoken counts; the
 * choice and its figures are in docs/benchmarks.md). A chat request is counted as OpenAI's
 * cookbook does (3 tokens a message, the role and content, 3 to prime the answer); images and
 * files, whose size is not known without decoding them, count a fixed amount; tool definitions
 * are counted as their JSON. Close to what the upstream will bill for text, an estimate for the
 * rest.
 */

export type Encoding = 'o200k_base' | 'cl100k_base';

interface Encoder {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
}

/** What an image counts: OpenAI's figure for a 1024×1024 image at high detail (85 + 4 × 170). */
export const IMAGE_TOKENS = 765;
/** What a file (a PDF, say) counts: about a page and a half of text. */
export const FILE_TOKENS = 1_500;
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
const PER_TOOL = 7;
const TOOLS_BLOCK = 12;

/** Text that looks like a special token (`<|endoftext|>`) in a prompt is counted as text. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

const encoders = new Map<Encoding, Encoder>();

/**
 * The encoder, loaded on first use: its tables cost about 70 MB of memory and half a second to
 * load, which only workers that count tokens pay. Required at run time (not bundled), so the
 * worker bundle stays small.
 */
function encoder(encoding: Encoding): Encoder {
  let found = encoders.get(encoding);
  if (found === undefined) {
    found = createRequire(import.meta.url)(`gpt-tokenizer/encoding/${encoding}`) as Encoder;
    encoders.set(encoding, found);
  }
  return found;
}

/** OpenAI's older models (GPT-4, GPT-3.5, the embedding models) use cl100k_base; newer ones and everything else o200k_base. */
export function encodingForModel(model: string): Encoding {
  const name = model.toLowerCase().split('/').pop() ?? '';
  if (/^gpt-4(?![o.])/.test(name) || name.startsWith('gpt-3.5') || name.startsWith('text-embedding-') || name.startsWith('gpt-35')) return 'cl100k_base';
  return 'o200k_base';
}

export function countText(text: string, encoding: Encoding): number {
  return text === '' ? 0 : encoder(encoding).countTokens(text, AS_TEXT);
}

/** A chat request's input: its messages and tool definitions. */
export function countChatTokens(messages: readonly ChatMessage[], tools: readonly unknown[] | null | undefined, encoding: Encoding): number {
  let total = REPLY_PRIMING;
  for (const message of messages) {
    total += PER_MESSAGE + countText(message.role, encoding);
    if (typeof message.name === 'string') total += 1 + countText(message.name, encoding);
    total += contentTokens(message.content, encoding);
    for (const call of message.tool_calls ?? []) {
      total += PER_MESSAGE + countText(call.function.name, encoding) + countText(call.function.arguments ?? '', encoding);
    }
  }
  if (tools != null && tools.length > 0) {
    total += TOOLS_BLOCK;
    for (const tool of tools) total += PER_TOOL + countText(JSON.stringify((tool as { function?: unknown }).function ?? tool), encoding);
  }
  return total;
}

function contentTokens(content: ChatMessage['content'], encoding: Encoding): number {
  if (content == null) return 0;
  if (typeof content === 'string') return countText(content, encoding);
  let total = 0;
  for (const part of content) {
    if (typeof part.text === 'string') total += countText(part.text, encoding);
    else if (typeof part.refusal === 'string') total += countText(part.refusal, encoding);
    else if (part.type === 'image_url') total += IMAGE_TOKENS;
    else if (part.type === 'file' || part.type === 'input_audio') total += FILE_TOKENS;
  }
  return total;
}
