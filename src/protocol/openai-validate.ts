import { z } from 'zod';
import type { ChatCompletionRequest, CompletionRequest, EmbeddingRequest } from './openai.js';
import { byType, requiredOr, validateBody, type Validated } from './validation.js';

/**
 * Validation of OpenAI API requests: every field the gateway reads, the translators
 * (openai-to-anthropic.ts) and the mock provider included, has its shape checked here, so that no
 * shape a client sends can make them fail; what cannot be processed is a 400 naming the field.
 * Fields nobody here reads are passed upstream as sent, and the upstream judges them.
 */

const str = (what = 'a string') => z.string({ error: requiredOr('is required', what) });
const object = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape, { error: requiredOr('is required', 'an object') });
const optionalString = z.string({ error: 'expected a string' }).nullable().optional();
const optionalBoolean = z.boolean({ error: 'expected true or false' }).nullable().optional();
const optionalNumber = z.number({ error: 'expected a number' }).nullable().optional();
const optionalPositiveInt = z.number({ error: 'expected a whole number' }).int('expected a whole number').min(1, 'must be at least 1').nullable().optional();
const modelField = z.string({ error: (issue) => (issue.input === undefined ? 'you must provide a model parameter' : 'expected a string') }).min(1, 'you must provide a model parameter');
const streamOptions = object({ include_usage: optionalBoolean }).nullable().optional();

const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function'], {
  error: (issue) => `expected one of system, developer, user, assistant, tool, function; got ${JSON.stringify(issue.input)}`,
});

/** Content part types the translators read; any other type is passed on as it is. */
const contentPart = byType({
  text: z.looseObject({ text: str() }),
  refusal: z.looseObject({ refusal: str() }),
  image_url: z.looseObject({ image_url: object({ url: str('a URL string') }) }),
  input_audio: z.looseObject({ input_audio: object({}) }),
  file: z.looseObject({ file: object({}) }),
}, 'expected a content part with a string "type"');

const toolCall = object({
  id: str(),
  type: z.literal('function', { error: 'expected "function"' }).optional(),
  function: object({ name: str(), arguments: str('a string of JSON') }),
});

const message = object({
  role,
  content: z.union([z.string(), z.array(contentPart), z.null()], { error: 'expected a string, a list of content parts, or null' }).optional(),
  tool_calls: z.array(toolCall, { error: 'expected a list of tool calls' }).nullable().optional(),
  tool_call_id: optionalString,
  // LiteLLM's field for the signed thinking blocks an Anthropic model needs back with tool results.
  thinking_blocks: z.array(object({ type: str() }), { error: 'expected a list of thinking blocks' }).nullable().optional(),
}).superRefine((m, ctx) => {
  if (m.role === 'tool' && typeof m.tool_call_id !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['tool_call_id'], message: 'a tool message needs the tool_call_id (a string) it answers' });
  }
});

/** A function tool's shape is read; other tool types (an Anthropic server tool, say) pass on. */
const tool = byType({
  function: z.looseObject({
    function: object({
      name: str(),
      description: optionalString,
      parameters: z.record(z.string(), z.unknown(), { error: 'expected a JSON schema object' }).nullable().optional(),
    }),
  }),
}, 'expected a tool with a string "type"');

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  object({ type: z.string({ error: 'expected a string' }).optional(), function: object({ name: str() }).optional() }),
  z.null(),
], { error: 'expected "none", "auto", "required" or {"type": "function", "function": {"name": …}}' }).optional();

/** A json_schema format's schema is read (it becomes a tool's input schema for anthropic/ deployments). */
const responseFormat = byType({
  json_schema: z.looseObject({
    json_schema: object({
      schema: z.record(z.string(), z.unknown(), { error: 'expected a JSON schema object' }).nullable().optional(),
      description: optionalString,
    }),
  }),
}, 'expected a response format with a string "type"');

const chatRequest = z.looseObject({
  model: modelField,
  messages: z.array(message, { error: requiredOr('is required', 'a list of messages') }).min(1, 'must contain at least one message'),
  stream: optionalBoolean,
  stream_options: streamOptions,
  n: optionalPositiveInt,
  max_tokens: optionalPositiveInt,
  max_completion_tokens: optionalPositiveInt,
  temperature: optionalNumber,
  top_p: optionalNumber,
  stop: z.union([z.string(), z.array(z.string({ error: 'expected a string' })), z.null()], { error: 'expected a string or a list of strings' }).optional(),
  tools: z.array(tool, { error: 'expected a list of tools' }).nullable().optional(),
  tool_choice: toolChoice,
  parallel_tool_calls: optionalBoolean,
  user: optionalString,
  logprobs: optionalBoolean,
  response_format: responseFormat.nullable().optional(),
});

const prompt = z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))], {
  error: requiredOr('is required', 'a string, a list of strings, or token arrays'),
});

const completionRequest = z.looseObject({
  model: modelField,
  prompt,
  stream: optionalBoolean,
  stream_options: streamOptions,
  max_tokens: optionalPositiveInt,
  n: optionalPositiveInt,
});

const embeddingRequest = z.looseObject({
  model: modelField,
  input: z.union([z.string(), z.array(z.string()).min(1, 'must not be empty'), z.array(z.number()), z.array(z.array(z.number()))], {
    error: requiredOr('is required', 'a string, a list of strings, or token arrays'),
  }),
  encoding_format: z.enum(['float', 'base64'], { error: 'expected "float" or "base64"' }).optional(),
  dimensions: optionalPositiveInt,
  user: optionalString,
});

export function validateChatRequest(body: unknown): Validated<ChatCompletionRequest> {
  return validateBody(chatRequest, body, 'openai');
}

export function validateCompletionRequest(body: unknown): Validated<CompletionRequest> {
  return validateBody(completionRequest, body, 'openai');
}

export function validateEmbeddingRequest(body: unknown): Validated<EmbeddingRequest> {
  return validateBody(embeddingRequest, body, 'openai');
}
