import { z } from 'zod';
import type { ResponsesRequest } from './responses-types.js';
import { byType, requiredOr, validateBody, type Validated } from './validation.js';

/**
 * Validation of `POST /v1/responses`: every field the gateway reads (the route, the conversation
 * store and the translation in responses-to-chat.ts) has its shape checked here, so no shape a
 * client sends can make them fail; a bad one is a 400 naming the field (`input[2].call_id`).
 * Item and tool types the translation does not read pass as long as their `type` is a string: a
 * native deployment takes them, and the translation refuses them by name.
 */

const str = (what = 'a string') => z.string({ error: requiredOr('is required', what) });
const object = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape, { error: requiredOr('is required', 'an object') });
const optionalString = z.string({ error: 'expected a string' }).nullable().optional();
const optionalBoolean = z.boolean({ error: 'expected true or false' }).nullable().optional();
const optionalNumber = z.number({ error: 'expected a number' }).nullable().optional();
const jsonSchema = z.record(z.string(), z.unknown(), { error: 'expected a JSON schema object' });

/** Content parts the translation reads; other types are refused there by name. */
const contentPart = byType({
  input_text: z.looseObject({ text: str() }),
  output_text: z.looseObject({ text: str() }),
  refusal: z.looseObject({ refusal: str() }),
  input_image: z.looseObject({ image_url: optionalString, file_id: optionalString }),
  input_file: z.looseObject({ file_data: z.string({ error: 'expected a string' }).optional(), file_id: optionalString, filename: z.string({ error: 'expected a string' }).optional() }),
}, 'expected a content part with a string "type"');

const content = z.union([z.string(), z.array(contentPart)], { error: requiredOr('is required', 'a string or a list of content parts') });

const message = z.looseObject({
  role: z.enum(['user', 'system', 'developer', 'assistant'], {
    error: (issue) => (issue.input === undefined ? 'is required' : `expected one of user, system, developer, assistant; got ${JSON.stringify(issue.input)}`),
  }),
  content,
});

/** Input items by type; an item without a type is a message (`{role, content}`, EasyInputMessage). */
const ITEM_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  message,
  function_call: z.looseObject({ call_id: str(), name: str(), arguments: str('a string of JSON') }),
  function_call_output: z.looseObject({ call_id: str(), output: content }),
  reasoning: z.looseObject({
    summary: z.array(object({ text: str() }), { error: requiredOr('is required', 'a list of summary parts') }),
    encrypted_content: optionalString,
  }),
  item_reference: z.looseObject({ id: str() }),
};

const item = z.looseObject({ type: z.string({ error: 'expected a string' }).optional() }, { error: 'expected an input item object' }).superRefine((value, ctx) => {
  const schema = ITEM_SCHEMAS[value.type ?? 'message'];
  const result = schema?.safeParse(value);
  if (result === undefined || result.success) return;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
});

const tool = byType({
  function: z.looseObject({ name: str(), description: optionalString, parameters: jsonSchema.nullable().optional(), strict: optionalBoolean }),
}, 'expected a tool with a string "type"');

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.string({ error: 'expected a string' }), name: z.string({ error: 'expected a string' }).optional() }),
  z.null(),
], { error: 'expected "none", "auto", "required" or {"type": "function", "name": …}' }).optional();

const format = byType({
  json_schema: z.looseObject({ name: z.string({ error: 'expected a string' }).optional(), schema: jsonSchema, description: optionalString, strict: optionalBoolean }),
}, 'expected a format with a string "type"');

const responsesRequest = z.looseObject({
  model: z.string({ error: (issue) => (issue.input === undefined ? 'you must provide a model parameter' : 'expected a string') }).min(1, 'you must provide a model parameter'),
  input: z.union([z.string(), z.array(item)], { error: 'expected a string or a list of input items' }).optional(),
  instructions: optionalString,
  stream: optionalBoolean,
  store: optionalBoolean,
  background: optionalBoolean,
  previous_response_id: z.string({ error: 'expected a string' }).min(1, 'must not be empty').nullable().optional(),
  tools: z.array(tool, { error: 'expected a list of tools' }).nullable().optional(),
  tool_choice: toolChoice,
  parallel_tool_calls: optionalBoolean,
  text: z.looseObject({ format: format.optional(), verbosity: optionalString }, { error: 'expected an object' }).nullable().optional(),
  max_output_tokens: z.number({ error: 'expected a whole number' }).int('expected a whole number').min(1, 'must be at least 1').nullable().optional(),
  temperature: optionalNumber,
  top_p: optionalNumber,
  top_logprobs: optionalNumber,
  reasoning: z.looseObject({ effort: optionalString, summary: optionalString }, { error: 'expected an object' }).nullable().optional(),
  // Any values: LiteLLM's keys (`tags` is a list) are taken out after validation (gateway-fields.ts),
  // which keeps only OpenAI's string pairs.
  metadata: z.record(z.string(), z.unknown(), { error: 'expected an object' }).nullable().optional(),
  user: optionalString,
  include: z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of strings' }).nullable().optional(),
  truncation: optionalString,
});

export function validateResponsesRequest(body: unknown): Validated<ResponsesRequest> {
  return validateBody(responsesRequest, body, 'openai');
}
