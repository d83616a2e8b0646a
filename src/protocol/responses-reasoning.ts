import type { AnthropicContentBlock } from './anthropic-types.js';

/**
 * Claude's extended thinking comes back as signed blocks that must be sent back, unchanged, with
 * the tool results of the same turn. A translated Responses answer carries them in its reasoning
 * item's `encrypted_content` (the field OpenAI uses for the same purpose), so that a client that
 * sends the item back, or a stored conversation, gives Claude what it needs. Only the gateway
 * reads this content; a reasoning item with anything else there is passed over.
 */

const MARK = 'swy1:';

export function encodeThinkingBlocks(blocks: readonly AnthropicContentBlock[]): string | null {
  return blocks.length === 0 ? null : MARK + Buffer.from(JSON.stringify(blocks)).toString('base64');
}

/** The blocks in a reasoning item's encrypted_content, or none when it is not the gateway's. */
export function thinkingBlocksOf(content: unknown): AnthropicContentBlock[] {
  if (typeof content !== 'string' || !content.startsWith(MARK)) return [];
  try {
    const blocks: unknown = JSON.parse(Buffer.from(content.slice(MARK.length), 'base64').toString('utf8'));
    if (!Array.isArray(blocks)) return [];
    return blocks.filter((b): b is AnthropicContentBlock => b !== null && typeof b === 'object' && (b.type === 'thinking' || b.type === 'redacted_thinking'));
  } catch {
    return [];
  }
}
