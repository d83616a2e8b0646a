import { randomId, redact, upstreamFailure, type GatewayError } from '../../core/index.js';
import type { AnswerShape, ChatCompletion, FinishReason, ToolCall, Usage } from '../../protocol/index.js';
import type { GeminiCandidate, GeminiPart, GeminiResponse, GeminiUsage } from './gemini-types.js';

/**
 * Gemini answer → OpenAI chat completion: text parts are the content, thought parts the
 * `reasoning_content`, `functionCall` parts tool calls (with ids made here: Gemini gives none, or
 * its own only on Vertex), `usageMetadata` the usage, `finishReason` the finish reason. A prompt
 * or an answer that Gemini's safety filters blocked, with nothing to show, is a clear 400
 * (`content_filter`), routed as a content-policy failure (content_policy_fallbacks), never the
 * deployment's fault.
 */

const FINISH_OF: Record<string, Exclude<FinishReason, null>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
};

export function finishReasonOfGemini(reason: string | undefined, hasToolCalls: boolean): Exclude<FinishReason, null> {
  const mapped = reason === undefined ? 'stop' : (FINISH_OF[reason] ?? 'stop');
  return mapped === 'stop' && hasToolCalls ? 'tool_calls' : mapped;
}

/**
 * Gemini's token counts as OpenAI's: thinking tokens are part of the completion (as OpenAI counts
 * reasoning), and cached input is a share of the prompt, as Gemini counts it too.
 */
export function usageOfGemini(usage: GeminiUsage | undefined): Usage {
  const prompt = (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0);
  const thoughts = usage?.thoughtsTokenCount ?? 0;
  const completion = (usage?.candidatesTokenCount ?? 0) + thoughts;
  const out: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: usage?.totalTokenCount ?? prompt + completion };
  if (usage?.cachedContentTokenCount !== undefined) out.prompt_tokens_details = { cached_tokens: usage.cachedContentTokenCount };
  if (thoughts > 0) out.completion_tokens_details = { reasoning_tokens: thoughts };
  return out;
}

/** A blocked prompt (no candidates, `promptFeedback.blockReason`) or a candidate blocked before any content. */
export function safetyBlock(response: GeminiResponse, label: string): GatewayError | undefined {
  const blocked = response.promptFeedback?.blockReason;
  if (blocked !== undefined && (response.candidates ?? []).length === 0) {
    const detail = response.promptFeedback?.blockReasonMessage;
    return contentFiltered(`${label} refused the prompt: blocked by Gemini's safety filters (${blocked})${detail ? `: ${detail}` : ''}`);
  }
  const first = response.candidates?.[0];
  const reason = first?.finishReason;
  if (reason !== undefined && FINISH_OF[reason] === 'content_filter' && (first?.content?.parts ?? []).length === 0) {
    return contentFiltered(`${label} blocked the answer: Gemini's safety filters stopped it (${reason})${first?.finishMessage ? `: ${first.finishMessage}` : ''}`);
  }
  return undefined;
}

function contentFiltered(message: string): GatewayError {
  return upstreamFailure('upstream_client_error', redact(message), { status: 400, upstreamStatus: 200, upstreamCode: 'content_filter' });
}

/**
 * Between a tool call's id and the thought signature Gemini attached to it. Thinking models
 * (Gemini 2.5, 3) want the signature back with the call in the next turn (Gemini 3 refuses a
 * call without it), and an OpenAI client sends back only the id: so the id carries it, as
 * LiteLLM does it.
 */
export const THOUGHT_SIGNATURE_SEPARATOR = '__thought__';

export function toolCallOf(part: GeminiPart): ToolCall | undefined {
  const call = part.functionCall;
  if (call === undefined) return undefined;
  let id = call.id ?? `call_${randomId(12)}`;
  if (typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '') id += `${THOUGHT_SIGNATURE_SEPARATOR}${part.thoughtSignature}`;
  return { id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } };
}

export function geminiToChatCompletion(response: GeminiResponse, model: string, label: string, created = Math.floor(Date.now() / 1000)): ChatCompletion {
  const blocked = safetyBlock(response, label);
  if (blocked !== undefined) throw blocked;
  const choices = (response.candidates ?? []).map((candidate, i) => choiceOf(candidate, i));
  return {
    id: response.responseId ? `chatcmpl-${response.responseId}` : `chatcmpl-${randomId(12)}`,
    object: 'chat.completion',
    created,
    model: response.modelVersion ?? model,
    choices,
    usage: usageOfGemini(response.usageMetadata),
  };
}

function choiceOf(candidate: GeminiCandidate, i: number): ChatCompletion['choices'][number] {
  let text = '';
  let reasoning = '';
  const calls: ToolCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    const call = toolCallOf(part);
    if (call !== undefined) calls.push(call);
    else if (typeof part.text === 'string') {
      if (part.thought === true) reasoning += part.text;
      else text += part.text;
    }
  }
  const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  if (reasoning !== '') message.reasoning_content = reasoning;
  return { index: candidate.index ?? i, message, finish_reason: finishReasonOfGemini(candidate.finishReason, calls.length > 0) };
}

/** A 200 answer that is a GenerateContentResponse: candidates (if any) with parts lists. */
export const GEMINI_RESPONSE: AnswerShape = {
  name: 'a Gemini GenerateContentResponse',
  problem(body) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body is not an object';
    const { candidates, promptFeedback } = body as GeminiResponse;
    if (candidates === undefined) return promptFeedback === undefined ? '"candidates" is missing' : undefined;
    if (!Array.isArray(candidates)) return '"candidates" is not a list';
    for (let i = 0; i < candidates.length; i++) {
      const parts = candidates[i]?.content?.parts;
      if (parts !== undefined && !Array.isArray(parts)) return `"candidates[${i}].content.parts" is not a list`;
      for (const part of parts ?? []) {
        if (part === null || typeof part !== 'object') return `"candidates[${i}].content.parts" holds something that is not an object`;
        if (part.functionCall !== undefined && typeof part.functionCall?.name !== 'string') return `"candidates[${i}]" has a functionCall without a name`;
      }
    }
    return undefined;
  },
};

/** Gemini's errors (in an answer or a stream): `{"error": {"code", "message", "status"}}`. */
export function geminiUpstreamError(label: string, message: string): GatewayError {
  return upstreamFailure('upstream_error', `${label} failed mid-stream: ${redact(message)}`);
}
