import type { ChatCompletionRequest, ChatMessage, CompletionRequest, EmbeddingRequest } from '../../protocol/index.js';
import { plainText, refuseParam } from '../message-text.js';

/**
 * OpenAI → Ollama's native API: `/api/chat` (`ollama_chat/`), `/api/generate` (`ollama/`, and
 * text completions for both), `/api/embed`. Sampling goes into `options` under Ollama's names
 * (`num_predict` for the output limit), JSON output into `format`, images as base64. Ollama takes
 * images only as data, so an image URL is refused rather than fetched: the gateway calls no host
 * the config did not name. What Ollama cannot express is a 400 naming the field, or with
 * `drop_params` left out and named.
 */

type Fail = (param: string, message: string) => void;

export interface OllamaRequestOptions {
  model: string;
  dropUnsupported: boolean;
  dropped: string[];
}

interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
  tool_name?: string;
}

/** OpenAI fields with no Ollama counterpart, left out whatever drop_params says. */
const LEFT_OUT = [
  'user', 'logit_bias', 'store', 'metadata', 'service_tier', 'parallel_tool_calls', 'top_logprobs', 'prediction', 'modalities',
  'audio', 'reasoning_effort', 'verbosity', 'web_search_options', 'prompt_cache_key', 'safety_identifier',
] as const;

/** Ollama's own top-level fields a caller may send (as extra body); passed on as they are. */
const NATIVE_PASSTHROUGH = ['keep_alive', 'think'] as const;

function common(request: ChatCompletionRequest | CompletionRequest, options: OllamaRequestOptions, fail: Fail): Record<string, unknown> {
  if (typeof request.n === 'number' && request.n > 1) fail('n', 'ollama deployments return one choice; n must be 1');
  if (request.logprobs === true || typeof request.logprobs === 'number') fail('logprobs', 'ollama deployments do not return logprobs');
  for (const key of LEFT_OUT) if (request[key] != null) options.dropped.push(key);
  const sampling: Record<string, unknown> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === 'number') sampling.num_predict = maxTokens;
  for (const [from, to] of [['temperature', 'temperature'], ['top_p', 'top_p'], ['top_k', 'top_k'], ['seed', 'seed'], ['frequency_penalty', 'frequency_penalty'], ['presence_penalty', 'presence_penalty']] as const) {
    if (typeof request[from] === 'number') sampling[to] = request[from];
  }
  const stop = request.stop;
  if (typeof stop === 'string') sampling.stop = [stop];
  else if (Array.isArray(stop) && stop.length > 0) sampling.stop = stop;
  const out: Record<string, unknown> = { model: options.model, stream: request.stream === true };
  // The caller's own Ollama options (as extra body) come first; the OpenAI fields are explicit.
  const own = request.options;
  const merged = { ...(own !== null && typeof own === 'object' && !Array.isArray(own) ? own : {}), ...sampling };
  if (Object.keys(merged).length > 0) out.options = merged;
  const format = formatOf(request.response_format, fail);
  if (format !== undefined) out.format = format;
  for (const key of NATIVE_PASSTHROUGH) if (request[key] != null) out[key] = request[key];
  return out;
}

function failer(options: OllamaRequestOptions): Fail {
  return (param, message) => {
    if (!options.dropUnsupported) throw refuseParam(param, `${message} (or set drop_params)`);
    options.dropped.push(param);
  };
}

/** `/api/chat`: messages, tools and images as Ollama takes them. */
export function chatRequestToOllamaChat(request: ChatCompletionRequest, options: OllamaRequestOptions): Record<string, unknown> {
  const fail = failer(options);
  const out = common(request, options, fail);
  const names = new Map<string, string>();
  out.messages = request.messages.map((m, i) => convertMessage(m, `messages[${i}]`, names));
  if (Array.isArray(request.tools) && request.tools.length > 0) out.tools = request.tools.map(convertTool);
  const choice = request.tool_choice;
  // Ollama has no tool_choice: "auto" is what it does; "none" is the same as sending no tools.
  if (choice === 'none') delete out.tools;
  else if (choice != null && choice !== 'auto') fail('tool_choice', 'Ollama cannot force a tool call; use "auto" or "none"');
  return out;
}

function convertMessage(message: ChatMessage, where: string, names: Map<string, string>): OllamaMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: plainText(message.content, `${where}.content`) };
    case 'user':
      return userMessage(message.content, `${where}.content`);
    case 'assistant': {
      const out: OllamaMessage = { role: 'assistant', content: plainText(message.content, `${where}.content`) };
      const calls = message.tool_calls ?? [];
      if (calls.length > 0) {
        out.tool_calls = calls.map((call, j) => {
          names.set(call.id, call.function.name);
          return { function: { name: call.function.name, arguments: parseArguments(call.function.arguments, `${where}.tool_calls[${j}].function.arguments`) } };
        });
      }
      return out;
    }
    case 'tool': {
      const out: OllamaMessage = { role: 'tool', content: plainText(message.content, `${where}.content`) };
      const name = names.get(message.tool_call_id as string);
      if (name !== undefined) out.tool_name = name;
      return out;
    }
    default:
      throw refuseParam(`${where}.role`, `role "${String(message.role)}" is not supported by ollama deployments; use tools and tool messages`);
  }
}

function userMessage(content: ChatMessage['content'], where: string): OllamaMessage {
  if (content == null || typeof content === 'string') return { role: 'user', content: content ?? '' };
  const texts: string[] = [];
  const images: string[] = [];
  content.forEach((part, j) => {
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'image_url') images.push(imageData((part.image_url as { url: string }).url, `${where}[${j}].image_url.url`));
    else throw refuseParam(`${where}[${j}].type`, `content part type "${String(part.type)}" is not supported by ollama deployments`);
  });
  const out: OllamaMessage = { role: 'user', content: texts.join('\n') };
  if (images.length > 0) out.images = images;
  return out;
}

function imageData(url: string, where: string): string {
  const match = /^data:[^;,]+;base64,/.exec(url);
  if (match === null) throw refuseParam(where, 'ollama deployments take images as base64 data URLs (data:image/png;base64,…); the gateway does not fetch image URLs');
  return url.slice(match[0].length);
}

/** Ollama stores a tool call's arguments as a JSON object (it refuses a string). */
function parseArguments(text: string, where: string): Record<string, unknown> {
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refuseParam(where, 'tool call arguments must be a JSON object (Ollama stores them as one); got text that is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuseParam(where, 'tool call arguments must be a JSON object');
  return value as Record<string, unknown>;
}

function convertTool(tool: unknown, i: number): unknown {
  const t = tool as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } };
  if (t?.type !== 'function' || typeof t.function?.name !== 'string') throw refuseParam(`tools[${i}].type`, 'ollama deployments take function tools only');
  const fn: Record<string, unknown> = { name: t.function.name, parameters: t.function.parameters ?? { type: 'object', properties: {} } };
  if (typeof t.function.description === 'string') fn.description = t.function.description;
  return { type: 'function', function: fn };
}

function formatOf(format: unknown, fail: Fail): unknown {
  const f = format as { type?: unknown; json_schema?: { schema?: unknown } } | null | undefined;
  if (f == null || f.type === 'text') return undefined;
  if (f.type === 'json_object') return 'json';
  if (f.type === 'json_schema') return f.json_schema?.schema ?? 'json';
  fail('response_format.type', `response_format "${String(f.type)}" is not supported by ollama deployments; use json_schema, json_object or text`);
  return undefined;
}

/**
 * `/api/generate` for a chat request (`ollama/`): system messages become `system`, one user turn
 * is the prompt as it is, a longer conversation is written out turn by turn in the layout LiteLLM
 * uses for `ollama/` (`### User:` …). Tools need `/api/chat`: use `ollama_chat/`.
 */
export function chatRequestToOllamaGenerate(request: ChatCompletionRequest, options: OllamaRequestOptions): Record<string, unknown> {
  const fail = failer(options);
  const out = common(request, options, fail);
  if ((Array.isArray(request.tools) && request.tools.length > 0) || request.messages.some((m) => m.role === 'tool' || (m.tool_calls?.length ?? 0) > 0)) {
    throw refuseParam('tools', 'ollama/ deployments call /api/generate, which has no tools; use an ollama_chat/ deployment for tool calls');
  }
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; text: string }> = [];
  const images: string[] = [];
  request.messages.forEach((message, i) => {
    const where = `messages[${i}]`;
    if (message.role === 'system' || message.role === 'developer') system.push(plainText(message.content, `${where}.content`));
    else if (message.role === 'user') {
      const user = userMessage(message.content, `${where}.content`);
      turns.push({ role: 'user', text: user.content });
      images.push(...(user.images ?? []));
    } else if (message.role === 'assistant') turns.push({ role: 'assistant', text: plainText(message.content, `${where}.content`) });
    else throw refuseParam(`${where}.role`, `role "${String(message.role)}" is not supported by ollama/ deployments`);
  });
  const only = turns.length === 1 && turns[0]!.role === 'user' ? turns[0]!.text : undefined;
  out.prompt = only ?? `${turns.map((t) => `### ${t.role === 'user' ? 'User' : 'Assistant'}:\n${t.text}\n\n`).join('')}### Assistant:\n`;
  if (system.length > 0) out.system = system.join('\n\n');
  if (images.length > 0) out.images = images;
  return out;
}

/** `/api/generate` for `/v1/completions`: one prompt, sent as written (`raw` is the caller's to set). */
export function completionRequestToOllama(request: CompletionRequest, options: OllamaRequestOptions): Record<string, unknown> {
  const out = common(request, options, failer(options));
  const prompt = request.prompt;
  const text = typeof prompt === 'string' ? prompt : Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string' ? prompt[0] : undefined;
  if (text === undefined) throw refuseParam('prompt', 'ollama deployments complete one text prompt at a time (not a list, not token arrays)');
  out.prompt = text;
  if (typeof request.suffix === 'string') out.suffix = request.suffix;
  if (typeof request.raw === 'boolean') out.raw = request.raw;
  return out;
}

/** `/api/embed`: text input, one string or a list; `dimensions` as Ollama names it too. */
export function embeddingRequestToOllama(request: EmbeddingRequest, model: string): Record<string, unknown> {
  const input: unknown = request.input;
  if (!(typeof input === 'string' || (Array.isArray(input) && input.every((t) => typeof t === 'string')))) throw refuseParam('input', 'ollama deployments embed text; token arrays cannot be sent');
  const out: Record<string, unknown> = { model, input };
  if (typeof request.dimensions === 'number') out.dimensions = request.dimensions;
  if (request.keep_alive != null) out.keep_alive = request.keep_alive;
  return out;
}
