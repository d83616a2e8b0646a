import { z } from 'zod';
import type { AnthropicMessagesRequest } from './anthropic-types.js';
import { validateBody, type Validated } from './validation.js';

/**
 * Validation of Anthropic Messages requests. Like the OpenAI side it checks every field the
 * gateway reads (the translation in anthropic-to-openai.ts included) and the block types it must
 * translate, and returns the original object, so the native route forwards everything else (new
 * top-level fields, cache_control, citations, …) unchanged. Field paths are written the way
 * Anthropic writes them (`messages.0.content.1.type`).
 */

/** Every block type the Messages API accepts in a request (SDK 1.x, including beta MCP blocks). */
export const ANTHROPIC_BLOCK_TYPES = [
  'text', 'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result',
  'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result', 'code_execution_tool_result',
  'bash_code_execution_tool_result', 'text_editor_code_execution_tool_result', 'tool_search_tool_result',
  'container_upload', 'mcp_tool_use', 'mcp_tool_result', 'tool_reference',
] as const;

const INTERPRETED = ['text', 'image', 'document', 'tool_use', 'tool_result'] as const;
const PASSED_THROUGH = ANTHROPIC_BLOCK_TYPES.filter((t) => !(INTERPRETED as readonly string[]).includes(t)) as [string, ...string[]];

const required = (expected: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'Field required' : `expected ${expected}`);
const str = (what = 'a string') => z.string({ error: required(what) });

const blockTypeError = (issue: z.core.$ZodRawIssue): string => {
  if (issue.code === 'invalid_type') return 'expected a content block object';
  const type = (issue.input as { type?: unknown } | undefined)?.type;
  if (type === undefined) return 'Field required';
  return `unknown content block type ${JSON.stringify(type)}; expected one of ${ANTHROPIC_BLOCK_TYPES.join(', ')}`;
};

/** A source's own fields, by its type: the translation reads them. */
const sources = {
  base64: z.looseObject({ type: z.literal('base64'), media_type: str(), data: str() }),
  url: z.looseObject({ type: z.literal('url'), url: str() }),
  file: z.looseObject({ type: z.literal('file'), file_id: str() }),
  text: z.looseObject({ type: z.literal('text'), data: str() }),
  content: z.looseObject({ type: z.literal('content'), content: z.union([z.string(), z.array(z.looseObject({ type: str() }))], { error: 'expected a string or a list of content blocks' }) }),
};
const sourceError = (what: string, types: string) => (issue: z.core.$ZodRawIssue): string =>
  (issue.code === 'invalid_type' ? required(`${what} source object`)(issue) : `expected ${types}`);

const textBlock = z.looseObject({ type: z.literal('text'), text: str() });
const imageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [sources.base64, sources.url, sources.file], { error: sourceError('an image', '"base64", "url" or "file"') }),
});
const documentBlock = z.looseObject({
  type: z.literal('document'),
  source: z.discriminatedUnion('type', [sources.base64, sources.text, sources.url, sources.content, sources.file], {
    error: sourceError('a document', '"base64", "text", "url", "content" or "file"'),
  }),
  title: z.string({ error: 'expected a string' }).nullable().optional(),
});
const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: str(),
  name: str(),
  input: z.record(z.string(), z.unknown(), { error: required('an object') }),
});
const otherBlock = z.looseObject({ type: z.enum(PASSED_THROUGH) });

/** tool_result content may itself hold blocks; those are checked with the same rules (one level). */
const innerBlock = z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, otherBlock], { error: blockTypeError });
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: str(),
  content: z.union([z.string(), z.array(innerBlock)], { error: 'expected a string or a list of content blocks' }).optional(),
  is_error: z.boolean({ error: 'expected true or false' }).optional(),
});
const block = z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, toolUseBlock, toolResultBlock, otherBlock], { error: blockTypeError });

const message = z.looseObject({
  role: z.enum(['user', 'assistant', 'system'], {
    error: (issue) => (issue.input === undefined ? 'Field required' : `expected "user" or "assistant"; got ${JSON.stringify(issue.input)}`),
  }),
  content: z.union([z.string(), z.array(block)], { error: (issue) => (issue.input === undefined ? 'Field required' : 'expected a string or a list of content blocks') }),
});

const tool = z.looseObject({
  name: str(),
  type: z.string({ error: 'expected a string' }).optional(),
  description: z.string({ error: 'expected a string' }).optional(),
  input_schema: z.record(z.string(), z.unknown(), { error: 'expected a JSON schema object' }).optional(),
});

const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.enum(['auto', 'any', 'none']), disable_parallel_tool_use: z.boolean({ error: 'expected true or false' }).optional() }),
  z.looseObject({ type: z.literal('tool'), name: str(), disable_parallel_tool_use: z.boolean({ error: 'expected true or false' }).optional() }),
], { error: 'expected {"type": "auto" | "any" | "tool" | "none"}' });

const optionalNumber = z.number({ error: 'expected a number' }).optional();

const messagesRequest = z.looseObject({
  model: str().min(1, 'must not be empty'),
  max_tokens: z.number({ error: required('a whole number') }).int('expected a whole number').min(1, 'must be at least 1'),
  messages: z.array(message, { error: required('a list of messages') }),
  system: z.union([z.string(), z.array(textBlock)], { error: 'expected a string or a list of text blocks' }).optional(),
  stop_sequences: z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of strings' }).optional(),
  stream: z.boolean({ error: 'expected true or false' }).optional(),
  temperature: optionalNumber,
  top_p: optionalNumber,
  top_k: z.number({ error: 'expected a whole number' }).int('expected a whole number').optional(),
  tools: z.array(tool, { error: 'expected a list of tools' }).optional(),
  tool_choice: toolChoice.optional(),
  metadata: z.looseObject({ user_id: z.string({ error: 'expected a string' }).nullable().optional() }, { error: 'expected an object' }).optional(),
});

export function validateMessagesRequest(body: unknown): Validated<AnthropicMessagesRequest> {
  return validateBody(messagesRequest, body, 'anthropic');
}
