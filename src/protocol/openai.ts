import { z } from 'zod';

/**
 * OpenAI wire types and request validation. Validation checks only the fields the gateway itself
 * interprets; everything else (tools, response_format, seed, logprobs, …) is kept as sent and
 * passed through to OpenAI-compatible upstreams.
 */

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [key: string]: unknown };
  completion_tokens_details?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

export type ContentPart =
  | { type: 'text'; text: string; [key: string]: unknown }
  | { type: 'image_url'; image_url: { url: string; detail?: string }; [key: string]: unknown }
  | { type: string; [key: string]: unknown };

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean; [key: string]: unknown } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  tools?: unknown[];
  tool_choice?: unknown;
  user?: string;
  [key: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null;

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[]; refusal?: string | null; [key: string]: unknown };
    finish_reason: FinishReason;
    logprobs?: unknown;
  }>;
  usage?: Usage;
  system_fingerprint?: string | null;
  [key: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: Array<{ index: number; id?: string; type?: 'function'; function?: { name?: string; arguments?: string } }>;
      [key: string]: unknown;
    };
    finish_reason: FinishReason;
    logprobs?: unknown;
  }>;
  usage?: Usage | null;
  [key: string]: unknown;
}

export interface CompletionRequest {
  model: string;
  prompt: string | string[] | number[] | number[][];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  [key: string]: unknown;
}

export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ index: number; text: string; finish_reason: FinishReason; logprobs: unknown }>;
  usage?: Usage;
  [key: string]: unknown;
}

export interface EmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  [key: string]: unknown;
}

export interface EmbeddingResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  [key: string]: unknown;
}

export interface ModelList {
  object: 'list';
  data: Array<{ id: string; object: 'model'; created: number; owned_by: string }>;
}

// ---------------------------------------------------------------------------------------------
// Request validation

const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function'], {
  error: (issue) => `expected one of system, developer, user, assistant, tool, function; got ${JSON.stringify(issue.input)}`,
});

const contentPart = z.looseObject({ type: z.string({ error: 'expected a content part with a string "type"' }) });

const message = z.looseObject({
  role,
  content: z.union([z.string(), z.array(contentPart), z.null()], { error: 'expected a string, a list of content parts, or null' }).optional(),
});

const optionalNumber = z.number({ error: 'expected a number' }).nullable().optional();
const optionalPositiveInt = z.number({ error: 'expected a whole number' }).int('expected a whole number').min(1, 'must be at least 1').nullable().optional();
const modelField = z.string({ error: (issue) => (issue.input === undefined ? 'you must provide a model parameter' : 'expected a string') }).min(1, 'you must provide a model parameter');
const streamField = z.boolean({ error: 'expected true or false' }).nullable().optional();
const streamOptions = z.looseObject({ include_usage: z.boolean({ error: 'expected true or false' }).optional() }).nullable().optional();

const chatRequest = z.looseObject({
  model: modelField,
  messages: z.array(message, { error: (issue) => (issue.input === undefined ? 'is required' : 'expected a list of messages') }).min(1, 'must contain at least one message'),
  stream: streamField,
  stream_options: streamOptions,
  n: optionalPositiveInt,
  max_tokens: optionalPositiveInt,
  max_completion_tokens: optionalPositiveInt,
  temperature: optionalNumber,
  top_p: optionalNumber,
  tools: z.array(z.unknown(), { error: 'expected a list' }).optional(),
});

const prompt = z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))], {
  error: (issue) => (issue.input === undefined ? 'is required' : 'expected a string, a list of strings, or token arrays'),
});

const completionRequest = z.looseObject({
  model: modelField,
  prompt,
  stream: streamField,
  stream_options: streamOptions,
  max_tokens: optionalPositiveInt,
  n: optionalPositiveInt,
});

const embeddingRequest = z.looseObject({
  model: modelField,
  input: z.union([z.string(), z.array(z.string()).min(1, 'must not be empty'), z.array(z.number()), z.array(z.array(z.number()))], {
    error: (issue) => (issue.input === undefined ? 'is required' : 'expected a string, a list of strings, or token arrays'),
  }),
  encoding_format: z.enum(['float', 'base64'], { error: 'expected "float" or "base64"' }).optional(),
  dimensions: optionalPositiveInt,
});

export interface ValidationProblem {
  /** The field, as OpenAI's `param` (`messages[0].role`). */
  param: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problem: ValidationProblem };

function validator<T>(schema: z.ZodType) {
  return (body: unknown): Validated<T> => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return { ok: false, problem: { param: '', message: 'the request body must be a JSON object' } };
    }
    const result = schema.safeParse(body);
    if (result.success) return { ok: true, value: body as T }; // the original object: nothing dropped or reordered
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const param = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    return { ok: false, problem: { param, message: issue.message } };
  };
}

export const validateChatRequest = validator<ChatCompletionRequest>(chatRequest);
export const validateCompletionRequest = validator<CompletionRequest>(completionRequest);
export const validateEmbeddingRequest = validator<EmbeddingRequest>(embeddingRequest);
