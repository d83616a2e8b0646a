/**
 * OpenAI Responses API wire types: only what the gateway reads or writes. Requests are checked in
 * responses-validate.ts; a request to a native deployment (`openai/`, `azure/`) goes upstream as
 * the client sent it, so every object keeps an index signature.
 */

export type ResponsesRole = 'user' | 'system' | 'developer' | 'assistant';

/** A content part of a message item (`input_text`, `input_image`, `output_text`, …). */
export interface ResponsesContentPart {
  type: string;
  text?: string;
  refusal?: string;
  image_url?: string | null;
  file_id?: string | null;
  file_data?: string;
  filename?: string;
  detail?: string;
  [key: string]: unknown;
}

export interface ResponsesMessageItem {
  type?: 'message';
  id?: string;
  role: ResponsesRole;
  content: string | ResponsesContentPart[];
  status?: string;
  [key: string]: unknown;
}

export interface ResponsesFunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  arguments: string;
  status?: string;
  [key: string]: unknown;
}

export interface ResponsesFunctionCallOutputItem {
  type: 'function_call_output';
  id?: string;
  call_id: string;
  output: string | ResponsesContentPart[];
  status?: string;
  [key: string]: unknown;
}

export interface ResponsesReasoningItem {
  type: 'reasoning';
  id?: string;
  summary: Array<{ type: 'summary_text'; text: string }>;
  /** Translated answers carry the signed thinking blocks here (see chat-to-responses.ts). */
  encrypted_content?: string | null;
  [key: string]: unknown;
}

export type ResponsesItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesReasoningItem
  | { type: string; id?: string; [key: string]: unknown };

export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
  [key: string]: unknown;
}

export interface ResponsesTextFormat {
  type: string;
  name?: string;
  schema?: Record<string, unknown>;
  description?: string;
  strict?: boolean | null;
  [key: string]: unknown;
}

export interface ResponsesRequest {
  model: string;
  input?: string | ResponsesItem[];
  instructions?: string | null;
  stream?: boolean | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  tools?: Array<ResponsesFunctionTool | { type: string; [key: string]: unknown }>;
  tool_choice?: unknown;
  parallel_tool_calls?: boolean | null;
  text?: { format?: ResponsesTextFormat; verbosity?: string | null; [key: string]: unknown } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  reasoning?: { effort?: string | null; summary?: string | null; [key: string]: unknown } | null;
  metadata?: Record<string, string> | null;
  user?: string;
  [key: string]: unknown;
}

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; [key: string]: unknown };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number; [key: string]: unknown };
  total_tokens: number;
  [key: string]: unknown;
}

export type ResponsesStatus = 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';

/** A Response object (`object: "response"`), as `POST /v1/responses` answers and streams end with. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponsesStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  model: string;
  output: ResponsesItem[];
  usage?: ResponsesUsage | null;
  previous_response_id?: string | null;
  store?: boolean;
  [key: string]: unknown;
}

/** `GET /v1/responses/{id}/input_items`. */
export interface ResponsesItemList {
  object: 'list';
  data: ResponsesItem[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** Stream events that end a Responses stream (the last event carries the whole Response). */
export const RESPONSES_TERMINAL_EVENTS: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);
