import type { AnswerShape } from './answer-shape.js';

/** A Response object as the API promises it: `object: "response"` and an `output` list. */
export const RESPONSE_OBJECT: AnswerShape = {
  name: 'a Response object',
  problem: (body) => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body is not an object';
    const record = body as Record<string, unknown>;
    if (typeof record.id !== 'string') return '"id" is not a string';
    if (!Array.isArray(record.output)) return '"output" is not a list';
    return undefined;
  },
};
