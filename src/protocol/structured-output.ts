import { GatewayError } from '../core/index.js';
import type { AnthropicTool, AnthropicToolChoice } from './anthropic-types.js';

/**
 * Structured output (`response_format` json_schema / json_object) for Claude, which has no such
 * parameter: as LiteLLM does it, the requested schema becomes the input schema of one tool,
 * `json_tool_call`, that the model is made to call, and the input it calls it with is the answer's
 * content (the JSON text an OpenAI client parses). The request side is here; the answer side is
 * in anthropic-to-openai.ts (JSON) and anthropic-stream-to-openai.ts (streams).
 */

/** LiteLLM's name for the tool (`RESPONSE_FORMAT_TOOL_NAME`): logs and traces read the same. */
export const RESPONSE_FORMAT_TOOL = 'json_tool_call';

/** What the caller wants back: a JSON answer (json_object, json_schema) or not. */
export function wantsJsonAnswer(responseFormat: unknown): boolean {
  const type = (responseFormat as { type?: unknown } | null | undefined)?.type;
  return type === 'json_object' || type === 'json_schema';
}

/**
 * The tool standing for the response format, or undefined when the format asks for nothing
 * (absent, `text`). A schema without `properties` or other keywords is still accepted: json_object
 * asks only for some JSON object, which `additionalProperties: true` says to Claude.
 */
export function responseFormatTool(responseFormat: unknown): AnthropicTool | undefined {
  if (!wantsJsonAnswer(responseFormat)) return undefined;
  const format = responseFormat as { type: string; json_schema?: { schema?: unknown; description?: unknown } };
  const schema = format.type === 'json_schema' ? format.json_schema?.schema : undefined;
  const tool: AnthropicTool = { name: RESPONSE_FORMAT_TOOL, input_schema: { type: 'object', properties: {}, additionalProperties: true } };
  if (schema != null) {
    // Anthropic takes only objects as a tool's input; OpenAI's structured outputs need an object
    // root too, so a client that works with OpenAI never sends anything else.
    const root = (schema as { type?: unknown }).type;
    if (root !== undefined && root !== 'object') {
      throw new GatewayError('invalid_request', `response_format.json_schema.schema: anthropic/ deployments need a schema whose root is an object, got type ${JSON.stringify(root)}`, {
        param: 'response_format.json_schema.schema',
      });
    }
    tool.input_schema = { ...(schema as Record<string, unknown>), type: 'object' };
  }
  const description = format.json_schema?.description;
  tool.description = typeof description === 'string' && description !== ''
    ? description
    : 'Respond with a JSON object in this format. Call this tool to give your final answer.';
  return tool;
}

/**
 * How the format tool is chosen. Alone, it is forced (the answer must be that JSON). Next to the
 * client's own tools, the model must call one of them (`any`), so it may still use the client's
 * tools before it answers; a choice the client made otherwise (a named tool, none) stands.
 * Extended thinking refuses any forced tool use, so with thinking on the choice is left alone.
 */
export function responseFormatToolChoice(clientChoice: AnthropicToolChoice | undefined, hasOwnTools: boolean, thinking: boolean): AnthropicToolChoice | undefined {
  if (thinking) return clientChoice;
  const single = clientChoice !== undefined && 'disable_parallel_tool_use' in clientChoice ? { disable_parallel_tool_use: clientChoice.disable_parallel_tool_use } : {};
  if (!hasOwnTools) return { type: 'tool', name: RESPONSE_FORMAT_TOOL };
  if (clientChoice === undefined || clientChoice.type === 'auto') return { type: 'any', ...single };
  return clientChoice;
}

/** Extended thinking asked for natively (`thinking: {type: "enabled", …}`, or adaptive). */
export function thinkingEnabled(thinking: unknown): boolean {
  const type = (thinking as { type?: unknown } | null | undefined)?.type;
  return typeof type === 'string' && type !== 'disabled';
}
