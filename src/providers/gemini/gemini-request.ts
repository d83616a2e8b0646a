import { GatewayError } from '../../core/index.js';
import type { ChatCompletionRequest, ChatMessage, ContentPart } from '../../protocol/index.js';
import { THOUGHT_SIGNATURE_SEPARATOR } from './gemini-response.js';
import { isEmptyObjectSchema, toGeminiSchema } from './gemini-schema.js';
import type { GeminiContent, GeminiPart, GeminiRequest } from './gemini-types.js';

/**
 * OpenAI chat request → Gemini `generateContent` body. System and developer messages become the
 * `systemInstruction`, assistant turns `model` turns, tool calls `functionCall` parts and tool
 * messages `functionResponse` parts (named after the call they answer: Gemini matches by name).
 * Sampling parameters go to `generationConfig`, `response_format` to `responseMimeType` and
 * `responseSchema`. What Gemini cannot express is refused with a 400 naming the field (or, with
 * drop_params, dropped and named); OpenAI-only hints (user, store, metadata, …) are left out.
 */

export interface ChatToGeminiOptions {
  /** drop_params: what Gemini cannot express is dropped, not refused. */
  dropUnsupported: boolean;
  /** Collects the names of request fields left out. */
  dropped: string[];
}

/** OpenAI fields with no Gemini counterpart that are left out whatever drop_params says (hints, OpenAI-only features). */
const LEFT_OUT = [
  'user', 'store', 'metadata', 'service_tier', 'prediction', 'modalities', 'audio', 'verbosity', 'web_search_options',
  'prompt_cache_key', 'safety_identifier', 'parallel_tool_calls', 'logit_bias',
] as const;

/** `reasoning_effort` as a thinking budget in tokens (LiteLLM's mapping). */
const THINKING_BUDGET: Record<string, number> = { minimal: 128, low: 1024, medium: 2048, high: 4096, none: 0, disable: 0 };

export function chatToGemini(request: ChatCompletionRequest, options: ChatToGeminiOptions): GeminiRequest {
  const fail = (param: string, message: string) => {
    if (!options.dropUnsupported) throw refuse(param, `${message} (or set drop_params)`);
    options.dropped.push(param);
  };
  for (const key of LEFT_OUT) if (request[key] != null) options.dropped.push(key);
  const { system, contents } = convertMessages(request.messages);
  const body: GeminiRequest = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  const config = generationConfig(request, fail);
  if (Object.keys(config).length > 0) body.generationConfig = config;
  if (Array.isArray(request.tools) && request.tools.length > 0) {
    body.tools = [{ functionDeclarations: request.tools.map(convertTool) }];
  }
  const choice = toolConfig(request.tool_choice);
  if (choice !== undefined) body.toolConfig = choice;
  const safety = request.safety_settings ?? request.safetySettings;
  if (safety != null) body.safetySettings = safety;
  if (typeof request.cached_content === 'string') body.cachedContent = request.cached_content;
  return body;
}

function generationConfig(request: ChatCompletionRequest, fail: (param: string, message: string) => void): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === 'number') config.maxOutputTokens = maxTokens;
  if (typeof request.temperature === 'number') config.temperature = request.temperature;
  if (typeof request.top_p === 'number') config.topP = request.top_p;
  if (typeof request.top_k === 'number') config.topK = request.top_k;
  if (typeof request.n === 'number' && request.n !== 1) config.candidateCount = request.n;
  if (typeof request.seed === 'number') config.seed = request.seed;
  if (typeof request.presence_penalty === 'number') config.presencePenalty = request.presence_penalty;
  if (typeof request.frequency_penalty === 'number') config.frequencyPenalty = request.frequency_penalty;
  const stop = request.stop;
  if (typeof stop === 'string') config.stopSequences = [stop];
  else if (Array.isArray(stop) && stop.length > 0) config.stopSequences = stop;
  if (request.logprobs === true) fail('logprobs', 'gemini deployments do not return OpenAI logprobs');
  const effort = request.reasoning_effort;
  if (typeof effort === 'string') {
    const budget = THINKING_BUDGET[effort];
    if (budget === undefined) fail('reasoning_effort', `reasoning_effort "${effort}" is not one of ${Object.keys(THINKING_BUDGET).join(', ')}`);
    else config.thinkingConfig = { thinkingBudget: budget, includeThoughts: budget > 0 };
  }
  const format = request.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | null | undefined;
  if (format?.type === 'json_object' || format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const schema = format.json_schema?.schema;
    if (format.type === 'json_schema' && schema != null) config.responseSchema = toGeminiSchema(schema, 'response_format.json_schema.schema');
  } else if (format != null && format.type !== 'text') {
    fail('response_format.type', `response_format "${String(format.type)}" is not supported by gemini deployments; use json_schema, json_object or text`);
  }
  return config;
}

// ---------------------------------------------------------------------------------------------
// Messages

function convertMessages(messages: ChatMessage[]): { system: GeminiPart[]; contents: GeminiContent[] } {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  // Gemini matches a function response to its call by name; OpenAI's tool message has only the id.
  const callNames = new Map<string, string>();
  const append = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  messages.forEach((message, i) => {
    const where = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(message.content, `${where}.content`));
        break;
      case 'user':
        append('user', userParts(message.content, `${where}.content`));
        break;
      case 'assistant':
        append('model', modelParts(message, where, callNames));
        break;
      case 'tool':
        append('user', [functionResponse(message, where, callNames)]);
        break;
      default:
        throw refuse(`${where}.role`, `role "${String(message.role)}" is not supported by gemini deployments; use tools and tool messages`);
    }
  });
  return { system, contents };
}

function textParts(content: ChatMessage['content'], where: string): GeminiPart[] {
  if (content == null || content === '') return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, j) => {
    if (part.type !== 'text' || typeof part.text !== 'string') throw refuse(`${where}[${j}].type`, 'only text parts are allowed here');
    return { text: part.text };
  });
}

function userParts(content: ChatMessage['content'], where: string): GeminiPart[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.map((part, j) => userPart(part, `${where}[${j}]`));
}

function userPart(part: ContentPart, where: string): GeminiPart {
  if (part.type === 'text' && typeof part.text === 'string') return { text: part.text };
  if (part.type === 'image_url') {
    const url = (part.image_url as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string') throw refuse(`${where}.image_url.url`, 'expected a URL string');
    return mediaPart(url, where);
  }
  if (part.type === 'file') {
    const file = part.file as { file_data?: unknown; file_id?: unknown; format?: unknown } | undefined;
    const data = file?.file_data ?? file?.file_id;
    if (typeof data !== 'string') throw refuse(`${where}.file`, 'expected file_data (a data URL) or file_id (a gs:// or https URI)');
    return mediaPart(data, where, typeof file?.format === 'string' ? file.format : undefined);
  }
  throw refuse(`${where}.type`, `content part type "${String(part.type)}" is not supported by gemini deployments`);
}

/** A data URL is sent inline; any other URL by reference (Gemini reads gs:// and https URIs itself). */
function mediaPart(url: string, where: string, mimeType?: string): GeminiPart {
  const match = /^data:([^;,]+);base64,/.exec(url);
  if (match) return { inlineData: { mimeType: match[1]!, data: url.slice(match[0].length) } };
  if (url.startsWith('data:')) throw refuse(where, 'a data URL must be base64 (data:<type>;base64,…)');
  return { fileData: { mimeType: mimeType ?? mimeTypeOf(url), fileUri: url } };
}

const MIME_OF_EXTENSION: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic',
  pdf: 'application/pdf', mp3: 'audio/mp3', wav: 'audio/wav', mp4: 'video/mp4', txt: 'text/plain',
};

function mimeTypeOf(url: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  return (extension === undefined ? undefined : MIME_OF_EXTENSION[extension]) ?? 'image/jpeg';
}

function modelParts(message: ChatMessage, where: string, callNames: Map<string, string>): GeminiPart[] {
  const parts: GeminiPart[] = [];
  const content = message.content;
  if (typeof content === 'string') {
    if (content !== '') parts.push({ text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      const text = part.type === 'text' ? part.text : part.type === 'refusal' ? part.refusal : undefined;
      if (typeof text !== 'string') throw refuse(`${where}.content[${j}].type`, 'assistant messages may hold only text parts');
      if (text !== '') parts.push({ text });
    });
  }
  (message.tool_calls ?? []).forEach((call, j) => {
    const at = `${where}.tool_calls[${j}]`;
    if (typeof call?.id !== 'string' || typeof call.function?.name !== 'string') throw refuse(at, 'expected {id, function: {name, arguments}}');
    callNames.set(call.id, call.function.name);
    const part: GeminiPart = { functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, `${at}.function.arguments`) } };
    const signature = call.id.indexOf(THOUGHT_SIGNATURE_SEPARATOR);
    if (signature !== -1) part.thoughtSignature = call.id.slice(signature + THOUGHT_SIGNATURE_SEPARATOR.length);
    parts.push(part);
  });
  return parts;
}

function functionResponse(message: ChatMessage, where: string, callNames: Map<string, string>): GeminiPart {
  const id = message.tool_call_id;
  if (typeof id !== 'string') throw refuse(`${where}.tool_call_id`, 'a tool message needs the tool_call_id it answers');
  const name = callNames.get(id) ?? (typeof message.name === 'string' ? message.name : undefined);
  if (name === undefined) throw refuse(`${where}.tool_call_id`, `no earlier assistant message has a tool call with id "${id}" (Gemini needs the function's name)`);
  const content = message.content;
  const text = typeof content === 'string' ? content : content == null ? '' : textParts(content, `${where}.content`).map((p) => p.text).join('');
  // Gemini takes the result as an object: a JSON object stays one, anything else is wrapped.
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const response = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { content: value ?? text };
  return { functionResponse: { name, response } };
}

function parseArguments(text: unknown, where: string): Record<string, unknown> {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(String(text));
  } catch {
    throw refuse(where, 'tool call arguments must be a JSON object (Gemini stores them as one); got text that is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse(where, 'tool call arguments must be a JSON object');
  return value as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Tools

function convertTool(tool: unknown, i: number): { name: string; description?: string; parameters?: Record<string, unknown> } {
  const t = tool as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } } | null;
  if (t?.type !== 'function') throw refuse(`tools[${i}].type`, 'gemini deployments take function tools only');
  const fn = t.function;
  if (typeof fn?.name !== 'string') throw refuse(`tools[${i}].function.name`, 'expected a string');
  const out: { name: string; description?: string; parameters?: Record<string, unknown> } = { name: fn.name };
  if (typeof fn.description === 'string') out.description = fn.description;
  if (fn.parameters != null) {
    const parameters = toGeminiSchema(fn.parameters, `tools[${i}].function.parameters`);
    if (!isEmptyObjectSchema(parameters)) out.parameters = parameters;
  }
  return out;
}

function toolConfig(choice: unknown): GeminiRequest['toolConfig'] {
  if (choice == null) return undefined;
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  const name = (choice as { function?: { name?: unknown } }).function?.name;
  if (typeof name === 'string') return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } };
  throw refuse('tool_choice', 'expected "auto", "required", "none" or {"type": "function", "function": {"name"}}');
}

function refuse(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${message}`, { param });
}
