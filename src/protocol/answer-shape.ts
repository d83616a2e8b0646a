/**
 * Whether an upstream's 200 answer is what its API promises, checked before the gateway reads or
 * forwards it: a client must never get `{"foo": 1}` as a chat completion, and the translators
 * must never meet a shape they were not written for. Each check returns what is wrong, in a few
 * words, or undefined. Only what the gateway or a client relies on is checked; extra fields pass.
 */

export interface AnswerShape {
  /** What the answer should be, for messages: "… is not a chat completion: …". */
  readonly name: string;
  problem(body: unknown): string | undefined;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A non-empty list of objects at `body[field]`, each passing `item`. */
function listProblem(body: unknown, field: string, item: (value: Json, at: string) => string | undefined): string | undefined {
  if (!isObject(body)) return `the body is ${describe(body)}, not an object`;
  const list = body[field];
  if (!Array.isArray(list)) return `"${field}" is ${list === undefined ? 'missing' : describe(list)}, not a list`;
  if (list.length === 0) return `"${field}" is empty`;
  for (let i = 0; i < list.length; i++) {
    const value: unknown = list[i];
    const at = `${field}[${i}]`;
    if (!isObject(value)) return `"${at}" is ${describe(value)}, not an object`;
    const problem = item(value, at);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function chatChoiceProblem(choice: Json, at: string): string | undefined {
  const message = choice.message;
  if (!isObject(message)) return `"${at}.message" is ${message === undefined ? 'missing' : describe(message)}, not an object`;
  const content = message.content;
  if (content != null && typeof content !== 'string' && !Array.isArray(content)) return `"${at}.message.content" is ${describe(content)}`;
  const calls = message.tool_calls;
  if (calls == null) return undefined;
  if (!Array.isArray(calls)) return `"${at}.message.tool_calls" is ${describe(calls)}, not a list`;
  for (let j = 0; j < calls.length; j++) {
    const call: unknown = calls[j];
    if (!isObject(call) || !isObject(call.function) || typeof call.function.name !== 'string') {
      return `"${at}.message.tool_calls[${j}]" is not {id, function: {name, arguments}}`;
    }
  }
  return undefined;
}

export const CHAT_COMPLETION: AnswerShape = {
  name: 'a chat completion',
  problem: (body) => listProblem(body, 'choices', chatChoiceProblem),
};

export const TEXT_COMPLETION: AnswerShape = {
  name: 'a text completion',
  problem: (body) => listProblem(body, 'choices', (choice, at) =>
    (typeof choice.text === 'string' ? undefined : `"${at}.text" is ${choice.text === undefined ? 'missing' : describe(choice.text)}, not a string`)),
};

export const EMBEDDING_LIST: AnswerShape = {
  name: 'an embedding list',
  problem: (body) => listProblem(body, 'data', (item, at) =>
    (Array.isArray(item.embedding) || typeof item.embedding === 'string' ? undefined : `"${at}.embedding" is ${item.embedding === undefined ? 'missing' : describe(item.embedding)}`)),
};

/** An Anthropic Message: `content` a list of typed blocks (it may be empty: a turn can end at once). */
export const ANTHROPIC_MESSAGE: AnswerShape = { name: 'an Anthropic message', problem: anthropicMessageProblem };

function anthropicMessageProblem(body: unknown): string | undefined {
  if (!isObject(body)) return `the body is ${describe(body)}, not an object`;
  const content = body.content;
  if (!Array.isArray(content)) return `"content" is ${content === undefined ? 'missing' : describe(content)}, not a list`;
  for (let i = 0; i < content.length; i++) {
    const block: unknown = content[i];
    if (!isObject(block) || typeof block.type !== 'string') return `"content[${i}]" is not a content block with a string "type"`;
    if (block.type === 'text' && typeof block.text !== 'string') return `"content[${i}].text" is not a string`;
    if (block.type === 'tool_use' && (typeof block.id !== 'string' || typeof block.name !== 'string')) return `"content[${i}]" is a tool_use block without a string id and name`;
  }
  return undefined;
}
