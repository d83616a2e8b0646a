import { GatewayError, upstreamFailure } from '../../core/index.js';
import type {
  AnswerShape, AnthropicContentBlock, AnthropicMessage, AnthropicMessagesRequest, AnthropicStopReason, AnthropicTool, AnthropicToolChoice, AnthropicUsage,
} from '../../protocol/index.js';

/**
 * Bedrock's Converse API ⇄ Anthropic Messages. The two are the same model of a conversation
 * (system apart, alternating turns of content blocks, tool use and tool results as blocks), so a
 * chat request reaches Converse through the OpenAI → Messages translation the anthropic/
 * provider uses, and every caller API gets the same treatment of tools, images and usage.
 */

/** Messages fields that Converse has no place for and that change nothing about the answer. */
const IGNORED = new Set(['model', 'stream', 'metadata', 'service_tier', 'container', 'mcp_servers']);
/** Model-specific fields passed in `additionalModelRequestFields` (Claude's, on Bedrock). */
const MODEL_FIELDS = ['top_k', 'thinking', 'anthropic_beta'] as const;

const IMAGE_FORMATS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };
const DOCUMENT_FORMATS: Record<string, string> = {
  'application/pdf': 'pdf', 'text/csv': 'csv', 'text/plain': 'txt', 'text/html': 'html', 'text/markdown': 'md',
  'application/msword': 'doc', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
};

export interface ConverseOptions {
  /** drop_params: fields Converse cannot take are dropped (and named) instead of refused. */
  dropUnsupported: boolean;
  dropped: string[];
  /** The caller set no max_tokens (a chat request): let the model use its own default. */
  omitMaxTokens?: boolean;
}

type Block = Record<string, unknown>;

export function messagesToConverse(request: AnthropicMessagesRequest, options: ConverseOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const inference: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request)) {
    if (value === undefined || value === null) continue;
    switch (key) {
      case 'messages': out.messages = (value as AnthropicMessagesRequest['messages']).map((m, i) => ({ role: roleOf(m.role, i), content: blocksOf(m.content, `messages[${i}].content`) })); break;
      case 'system': out.system = typeof value === 'string' ? [{ text: value }] : blocksOf(value as AnthropicContentBlock[], 'system'); break;
      case 'max_tokens': if (options.omitMaxTokens !== true) inference.maxTokens = value; break;
      case 'temperature': inference.temperature = value; break;
      case 'top_p': inference.topP = value; break;
      case 'stop_sequences': inference.stopSequences = value; break;
      case 'tools': break; // with tool_choice below
      case 'tool_choice': break;
      default:
        if ((MODEL_FIELDS as readonly string[]).includes(key)) extra[key] = value;
        else if (IGNORED.has(key)) break;
        else if (options.dropUnsupported) options.dropped.push(key);
        else throw refuse(key, `${key} is not supported by bedrock/ Converse deployments (or set drop_params)`);
    }
  }
  const toolConfig = toolConfigOf(request.tools, request.tool_choice);
  if (toolConfig !== undefined) out.toolConfig = toolConfig;
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;
  if (Object.keys(extra).length > 0) out.additionalModelRequestFields = extra;
  return out;
}

function roleOf(role: string, index: number): 'user' | 'assistant' {
  if (role === 'user' || role === 'assistant') return role;
  throw refuse(`messages[${index}].role`, `role "${role}" is not supported by bedrock/ Converse deployments; put system text in system`);
}

function blocksOf(content: string | AnthropicContentBlock[], where: string): Block[] {
  if (typeof content === 'string') return [{ text: content }];
  const out: Block[] = [];
  content.forEach((block, i) => {
    const converted = blockOf(block, `${where}[${i}]`);
    out.push(converted);
    if (isCached(block)) out.push({ cachePoint: { type: 'default' } });
  });
  return out;
}

function isCached(block: AnthropicContentBlock): boolean {
  return (block as { cache_control?: unknown }).cache_control != null;
}

function blockOf(block: AnthropicContentBlock, where: string): Block {
  const b = block as Record<string, unknown>;
  switch (block.type) {
    case 'text': return { text: b.text };
    case 'image': return { image: mediaOf(b.source, where, IMAGE_FORMATS, 'image') };
    case 'document': {
      const source = b.source as { type?: string; data?: string } | undefined;
      if (source?.type === 'text' && typeof source.data === 'string') return { document: { format: 'txt', name: documentName(b), source: { bytes: Buffer.from(source.data).toString('base64') } } };
      return { document: { ...mediaOf(b.source, where, DOCUMENT_FORMATS, 'document'), name: documentName(b) } };
    }
    case 'tool_use': return { toolUse: { toolUseId: b.id, name: b.name, input: b.input ?? {} } };
    case 'tool_result': {
      const content = b.content;
      const parts = content === undefined || content === '' ? [] : typeof content === 'string' ? [{ text: content }] : (content as AnthropicContentBlock[]).map((c, i) => toolResultPart(c, `${where}.content[${i}]`));
      const result: Block = { toolUseId: b.tool_use_id, content: parts.length > 0 ? parts : [{ text: '' }] };
      if (b.is_error === true) result.status = 'error';
      return { toolResult: result };
    }
    case 'thinking': {
      const text: Block = { text: b.thinking };
      if (typeof b.signature === 'string') text.signature = b.signature;
      return { reasoningContent: { reasoningText: text } };
    }
    case 'redacted_thinking': return { reasoningContent: { redactedContent: b.data } };
    default: throw refuse(`${where}.type`, `content blocks of type "${block.type}" are not supported by bedrock/ Converse deployments`);
  }
}

function toolResultPart(block: AnthropicContentBlock, where: string): Block {
  if (block.type === 'text') return { text: (block as { text: string }).text };
  if (block.type === 'image') return { image: mediaOf((block as { source: unknown }).source, where, IMAGE_FORMATS, 'image') };
  throw refuse(`${where}.type`, `tool results with "${block.type}" content are not supported by bedrock/ Converse deployments`);
}

function documentName(block: Record<string, unknown>): string {
  const title = typeof block.title === 'string' ? block.title : 'document';
  // Converse allows letters, digits, single spaces, hyphens, parentheses and brackets in a name.
  return title.replace(/[^A-Za-z0-9\-()[\] ]/g, ' ').replace(/ {2,}/g, ' ').trim() || 'document';
}

/** Converse takes media only as bytes: an image by URL would have to be fetched from a host the config does not name. */
function mediaOf(source: unknown, where: string, formats: Record<string, string>, kind: string): Block {
  const s = (source ?? {}) as { type?: string; media_type?: string; data?: string };
  if (s.type !== 'base64' || typeof s.data !== 'string') {
    throw refuse(`${where}.source`, `bedrock/ Converse deployments take a ${kind} as base64 data (a data: URL), not by URL`);
  }
  const format = formats[String(s.media_type)];
  if (format === undefined) throw refuse(`${where}.source.media_type`, `${kind} type "${String(s.media_type)}" is not supported by Bedrock Converse (${Object.keys(formats).join(', ')})`);
  return { format, source: { bytes: s.data } };
}

function toolConfigOf(tools: AnthropicTool[] | undefined, choice: AnthropicToolChoice | undefined): Block | undefined {
  if (tools === undefined || tools.length === 0 || choice?.type === 'none') return undefined;
  const specs = tools.map((tool, i) => {
    if (tool.type !== undefined && tool.type !== 'custom') throw refuse(`tools[${i}].type`, `server tools ("${tool.type}") are not supported by bedrock/ Converse deployments`);
    const spec: Block = { name: tool.name, inputSchema: { json: tool.input_schema ?? { type: 'object', properties: {} } } };
    if (typeof tool.description === 'string' && tool.description !== '') spec.description = tool.description;
    return { toolSpec: spec };
  });
  const config: Block = { tools: specs };
  if (choice?.type === 'auto') config.toolChoice = { auto: {} };
  else if (choice?.type === 'any') config.toolChoice = { any: {} };
  else if (choice?.type === 'tool') config.toolChoice = { tool: { name: choice.name } };
  return config;
}

function refuse(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${message}`, { param });
}

// ---------------------------------------------------------------------------------------------
// Answers

export const CONVERSE_ANSWER: AnswerShape = {
  name: 'a Bedrock Converse answer',
  problem: (body) => {
    const output = (body as { output?: { message?: { content?: unknown } } } | null)?.output;
    return Array.isArray(output?.message?.content) ? undefined : 'output.message.content is not a list';
  },
};

/** Converse's stop reasons as Anthropic's; a guardrail or content filter ending the turn is a refusal. */
export function stopReasonOfConverse(reason: unknown): AnthropicStopReason {
  switch (reason) {
    case 'tool_use': return 'tool_use';
    case 'max_tokens': return 'max_tokens';
    case 'stop_sequence': return 'stop_sequence';
    case 'guardrail_intervened': case 'content_filtered': return 'refusal';
    case 'model_context_window_exceeded': return 'model_context_window_exceeded';
    default: return 'end_turn';
  }
}

export function usageOfConverse(usage: unknown): AnthropicUsage {
  const u = (usage ?? {}) as { inputTokens?: number; outputTokens?: number; cacheReadInputTokens?: number; cacheWriteInputTokens?: number };
  const out: AnthropicUsage = { input_tokens: u.inputTokens ?? 0, output_tokens: u.outputTokens ?? 0 };
  if (u.cacheReadInputTokens != null) out.cache_read_input_tokens = u.cacheReadInputTokens;
  if (u.cacheWriteInputTokens != null) out.cache_creation_input_tokens = u.cacheWriteInputTokens;
  return out;
}

export function converseToMessage(body: Record<string, unknown>, model: string, id: string, label: string): AnthropicMessage {
  const message = (body.output as { message: { content: Block[] } }).message;
  const content: AnthropicContentBlock[] = [];
  for (const block of message.content) {
    if (typeof block.text === 'string') content.push({ type: 'text', text: block.text });
    else if (block.toolUse !== undefined) {
      const use = block.toolUse as { toolUseId: string; name: string; input?: Record<string, unknown> };
      content.push({ type: 'tool_use', id: use.toolUseId, name: use.name, input: use.input ?? {} });
    } else if (block.reasoningContent !== undefined) {
      const reasoning = block.reasoningContent as { reasoningText?: { text?: string; signature?: string }; redactedContent?: string };
      if (reasoning.reasoningText !== undefined) content.push({ type: 'thinking', thinking: reasoning.reasoningText.text ?? '', signature: reasoning.reasoningText.signature ?? '' });
      else content.push({ type: 'redacted_thinking', data: reasoning.redactedContent ?? '' });
    } else {
      throw upstreamFailure('upstream_invalid_response', `${label} answered a content block the gateway does not know: ${Object.keys(block).join(', ')}`);
    }
  }
  return {
    id, type: 'message', role: 'assistant', model, content,
    stop_reason: stopReasonOfConverse(body.stopReason), stop_sequence: null, usage: usageOfConverse(body.usage),
  };
}
