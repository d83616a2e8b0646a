/**
 * Hostile request bodies, generated rather than hand-listed: for each API, a valid base body that
 * uses every field a translator reads, a table of those fields (where they sit and which JSON
 * kinds they accept), and from that table every wrong-kind variant, plus deeply nested JSON
 * planted in the fields that are passed upstream as they are. Each case knows the field a 400
 * must name.
 */

export type Api = 'chat' | 'completions' | 'embeddings' | 'messages';
type Segment = string | number;
type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';

/** One value of each JSON kind; `integer` stands for whole numbers, `number` for the rest. */
const SAMPLES: ReadonlyArray<[Kind, unknown]> = [
  ['string', 'text'], ['number', 1.5], ['integer', 7], ['boolean', true], ['null', null], ['array', []], ['object', {}],
];

interface Field {
  path: Segment[];
  accepts: Kind[];
  /** Values of an accepted kind that are still wrong (unknown enum members, out of range). */
  alsoWrong?: unknown[];
  /** Top-level fields of the base body to replace first (a field inside another shape of its parent). */
  over?: Record<string, unknown>;
}

export interface HostileCase {
  api: Api;
  /** What was done, for failure messages: `messages[2].tool_calls = {}`. */
  label: string;
  /** The body to send, with `model` still to be filled in. */
  body: Record<string, unknown>;
  /** The field the 400 must name, written as the API writes params. */
  param: string;
  /** Deep nesting: the reported param may go deeper than the field it was planted in. */
  prefix: boolean;
}

export const PATHS: Record<Api, string> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  messages: '/v1/messages',
};

const f = (accepts: Kind[], ...path: Segment[]): Field => ({ path, accepts });
const wrong = (field: Field, ...alsoWrong: unknown[]): Field => ({ ...field, alsoWrong });
const over = (field: Field, fields: Record<string, unknown>): Field => ({ ...field, over: fields });
const NAMED_TOOL_CHOICE = { tool_choice: { type: 'function', function: { name: 'lookup' } } };

const CHAT_BASE = {
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
    {
      role: 'assistant', content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }],
      thinking_blocks: [{ type: 'thinking', thinking: 'hm', signature: 'sig' }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
    { role: 'user', content: 'thanks' },
  ],
  tools: [{ type: 'function', function: { name: 'lookup', description: 'find', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
  tool_choice: 'auto',
  parallel_tool_calls: true,
  stop: ['END'],
  temperature: 0.5, top_p: 0.9, max_tokens: 50, max_completion_tokens: 50, n: 1,
  user: 'u1', stream: false, stream_options: { include_usage: false }, logprobs: false,
  response_format: { type: 'text' },
};

const S: Kind[] = ['string'];
const NULLABLE_INT: Kind[] = ['integer', 'null'];
const NULLABLE_NUMBER: Kind[] = ['number', 'integer', 'null'];

const CHAT_FIELDS: Field[] = [
  wrong(f(S, 'model'), ''),
  wrong(f(['array'], 'messages'), []),
  ...[0, 1, 2, 3, 4].flatMap((i) => [
    f(['object'], 'messages', i),
    wrong(f(S, 'messages', i, 'role'), 'robot'),
    f(['string', 'array', 'null'], 'messages', i, 'content'),
  ]),
  f(['object'], 'messages', 1, 'content', 0),
  f(S, 'messages', 1, 'content', 0, 'type'),
  f(S, 'messages', 1, 'content', 0, 'text'),
  f(['object'], 'messages', 1, 'content', 1, 'image_url'),
  f(S, 'messages', 1, 'content', 1, 'image_url', 'url'),
  f(['array', 'null'], 'messages', 2, 'tool_calls'),
  f(['object'], 'messages', 2, 'tool_calls', 0),
  f(S, 'messages', 2, 'tool_calls', 0, 'id'),
  wrong(f(S, 'messages', 2, 'tool_calls', 0, 'type'), 'procedure'),
  f(['object'], 'messages', 2, 'tool_calls', 0, 'function'),
  f(S, 'messages', 2, 'tool_calls', 0, 'function', 'name'),
  f(S, 'messages', 2, 'tool_calls', 0, 'function', 'arguments'),
  f(['array', 'null'], 'messages', 2, 'thinking_blocks'),
  f(['object'], 'messages', 2, 'thinking_blocks', 0),
  f(S, 'messages', 2, 'thinking_blocks', 0, 'type'),
  f(S, 'messages', 3, 'tool_call_id'),
  f(['array', 'null'], 'tools'),
  f(['object'], 'tools', 0),
  f(S, 'tools', 0, 'type'),
  f(['object'], 'tools', 0, 'function'),
  f(S, 'tools', 0, 'function', 'name'),
  f(['string', 'null'], 'tools', 0, 'function', 'description'),
  f(['object', 'null'], 'tools', 0, 'function', 'parameters'),
  wrong(f(['string', 'object', 'null'], 'tool_choice'), 'sometimes'),
  over(f(['object'], 'tool_choice', 'function'), NAMED_TOOL_CHOICE),
  over(f(S, 'tool_choice', 'function', 'name'), NAMED_TOOL_CHOICE),
  f(['boolean', 'null'], 'parallel_tool_calls'),
  f(['string', 'array', 'null'], 'stop'),
  f(S, 'stop', 0),
  f(NULLABLE_NUMBER, 'temperature'),
  f(NULLABLE_NUMBER, 'top_p'),
  wrong(f(NULLABLE_INT, 'max_tokens'), 0),
  wrong(f(NULLABLE_INT, 'max_completion_tokens'), -3),
  wrong(f(NULLABLE_INT, 'n'), 0),
  f(['boolean', 'null'], 'stream'),
  f(['object', 'null'], 'stream_options'),
  f(['boolean', 'null'], 'stream_options', 'include_usage'),
  f(['string', 'null'], 'user'),
  f(['boolean', 'null'], 'logprobs'),
  f(['object', 'null'], 'response_format'),
  f(S, 'response_format', 'type'),
];

const COMPLETIONS_BASE = { prompt: 'hello', max_tokens: 5, n: 1, stream: false, stream_options: { include_usage: false } };
const COMPLETIONS_FIELDS: Field[] = [
  wrong(f(S, 'model'), ''),
  f(['string', 'array'], 'prompt'),
  wrong(f(NULLABLE_INT, 'max_tokens'), 0),
  wrong(f(NULLABLE_INT, 'n'), 0),
  f(['boolean', 'null'], 'stream'),
  f(['object', 'null'], 'stream_options'),
  f(['boolean', 'null'], 'stream_options', 'include_usage'),
];

const EMBEDDINGS_BASE = { input: ['a', 'b'], encoding_format: 'float', dimensions: 3, user: 'u1' };
const EMBEDDINGS_FIELDS: Field[] = [
  wrong(f(S, 'model'), ''),
  f(['string', 'array'], 'input'),
  wrong(f(S, 'encoding_format'), 'int8'),
  wrong(f(['integer', 'null'], 'dimensions'), 0),
  f(['string', 'null'], 'user'),
];

const MESSAGES_BASE = {
  max_tokens: 50,
  system: [{ type: 'text', text: 'be brief' }],
  messages: [
    {
      role: 'user', content: [
        { type: 'text', text: 'look' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'a document' } },
      ],
    },
    { role: 'assistant', content: [{ type: 'text', text: 'checking' }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'cat' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a cat' }] }, { type: 'text', text: 'thanks' }] },
  ],
  tools: [{ name: 'lookup', description: 'find', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
  tool_choice: { type: 'auto' },
  stop_sequences: ['END'],
  temperature: 0.5, top_p: 0.9, top_k: 5, stream: false,
  metadata: { user_id: 'u1' },
};

const MESSAGES_FIELDS: Field[] = [
  wrong(f(S, 'model'), ''),
  wrong(f(['integer'], 'max_tokens'), 0),
  f(['array'], 'messages'),
  ...[0, 1, 2].flatMap((i) => [
    f(['object'], 'messages', i),
    wrong(f(S, 'messages', i, 'role'), 'robot'),
    f(['string', 'array'], 'messages', i, 'content'),
    f(['object'], 'messages', i, 'content', 0),
    wrong(f(S, 'messages', i, 'content', 0, 'type'), 'no_such_block'),
  ]),
  f(S, 'messages', 0, 'content', 0, 'text'),
  f(['object'], 'messages', 0, 'content', 1, 'source'),
  wrong(f(S, 'messages', 0, 'content', 1, 'source', 'type'), 'ftp'),
  f(S, 'messages', 0, 'content', 1, 'source', 'media_type'),
  f(S, 'messages', 0, 'content', 1, 'source', 'data'),
  f(['object'], 'messages', 0, 'content', 2, 'source'),
  wrong(f(S, 'messages', 0, 'content', 2, 'source', 'type'), 'ftp'),
  f(S, 'messages', 0, 'content', 2, 'source', 'data'),
  f(['string', 'null'], 'messages', 0, 'content', 2, 'title'),
  f(S, 'messages', 1, 'content', 1, 'id'),
  f(S, 'messages', 1, 'content', 1, 'name'),
  f(['object'], 'messages', 1, 'content', 1, 'input'),
  f(S, 'messages', 2, 'content', 0, 'tool_use_id'),
  f(['string', 'array'], 'messages', 2, 'content', 0, 'content'),
  f(['object'], 'messages', 2, 'content', 0, 'content', 0),
  f(S, 'messages', 2, 'content', 0, 'content', 0, 'text'),
  f(['boolean'], 'messages', 2, 'content', 0, 'is_error'),
  f(['string', 'array'], 'system'),
  f(['object'], 'system', 0),
  f(S, 'system', 0, 'text'),
  f(['array'], 'tools'),
  f(['object'], 'tools', 0),
  f(S, 'tools', 0, 'name'),
  f(S, 'tools', 0, 'description'),
  f(S, 'tools', 0, 'type'),
  f(['object'], 'tools', 0, 'input_schema'),
  f(['object'], 'tool_choice'),
  wrong(f(S, 'tool_choice', 'type'), 'sometimes'),
  f(['array'], 'stop_sequences'),
  f(S, 'stop_sequences', 0),
  f(['number', 'integer'], 'temperature'),
  f(['number', 'integer'], 'top_p'),
  f(['integer'], 'top_k'),
  f(['boolean'], 'stream'),
  f(['object'], 'metadata'),
  f(['string', 'null'], 'metadata', 'user_id'),
];

/** Where deeply nested JSON is planted: fields passed upstream as they are, and unknown fields. */
const NESTING_TARGETS: Record<Api, Segment[][]> = {
  chat: [['metadata'], ['tools', 0, 'function', 'parameters'], ['response_format', 'json_schema'], ['messages', 4, 'extra'], ['x_unknown_field'], ['messages', 2, 'thinking_blocks', 0, 'extra'], ['messages', 1, 'content', 0, 'cache_control']],
  completions: [['x_unknown_field'], ['logit_bias']],
  embeddings: [['x_unknown_field'], ['extra_body']],
  messages: [['metadata', 'extra'], ['tools', 0, 'input_schema'], ['messages', 1, 'content', 1, 'input'], ['x_unknown_field'], ['messages', 0, 'content', 0, 'citations'], ['tool_choice', 'extra'], ['container']],
};

const SPECS: Record<Api, { base: object; fields: Field[] }> = {
  chat: { base: CHAT_BASE, fields: CHAT_FIELDS },
  completions: { base: COMPLETIONS_BASE, fields: COMPLETIONS_FIELDS },
  embeddings: { base: EMBEDDINGS_BASE, fields: EMBEDDINGS_FIELDS },
  messages: { base: MESSAGES_BASE, fields: MESSAGES_FIELDS },
};

/** The valid body every case of `api` is a variation of. */
export function baseBody(api: Api, model: string): Record<string, unknown> {
  return { model, ...structuredClone(SPECS[api].base) };
}

/**
 * JSON text nested `depth` levels deep, objects and arrays in turn (4 bytes a level). Built
 * as text: JSON.stringify itself overflows the stack on such a value, in the test as anywhere.
 */
export function deeplyNestedJson(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 === 0 ? '{"a":' : '[';
    close = (i % 2 === 0 ? '}' : ']') + close;
  }
  return `${open}1${close}`;
}

/** Stands for the deeply nested value in a case's body until it is written out. */
const DEEP = '\u0000deeply-nested\u0000';

/** Stands for the model group until a case is sent to one. */
const ANY_MODEL = '\u0000model\u0000';

/** The request body as JSON text, sent to model group `model` (unless `model` is the field under test). */
export function bodyText(c: HostileCase, model: string, nestingDepth: number): string {
  const text = JSON.stringify(c.body.model === ANY_MODEL ? { ...c.body, model } : c.body);
  return c.prefix ? text.replace(JSON.stringify(DEEP), deeplyNestedJson(nestingDepth)) : text;
}

export function hostileCases(api: Api): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const field of SPECS[api].fields) {
    const accepted = new Set(field.accepts);
    if (accepted.has('number')) accepted.add('integer');
    const values = SAMPLES.filter(([kind]) => !accepted.has(kind)).map(([, value]) => value).concat(field.alsoWrong ?? []);
    for (const value of values) {
      const body = withValue(api, field.path, value, field.over);
      cases.push({ api, label: `${field.path.join('.')} = ${JSON.stringify(value)}`, body, param: paramOf(api, field.path), prefix: false });
    }
  }
  for (const path of NESTING_TARGETS[api]) {
    cases.push({ api, label: `${path.join('.')} = <deeply nested>`, body: withValue(api, path, DEEP), param: paramOf(api, path), prefix: true });
  }
  return cases;
}

/** A copy of the base body with the value at `path` replaced (objects on the way must exist). */
function withValue(api: Api, path: Segment[], value: unknown, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const body = { ...baseBody(api, ANY_MODEL), ...structuredClone(fields) };
  let at: Record<Segment, unknown> = body;
  for (const segment of path.slice(0, -1)) {
    const next = at[segment];
    if (next === null || typeof next !== 'object') throw new Error(`base body of ${api} has no object at ${path.join('.')}`);
    at = next as Record<Segment, unknown>;
  }
  at[path.at(-1) as Segment] = value;
  return body;
}

/** OpenAI writes `messages[2].tool_calls[0].id`; Anthropic `messages.2.content.0.id`. */
export function paramOf(api: Api, path: Segment[]): string {
  if (api === 'messages') return path.join('.');
  return path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
}
