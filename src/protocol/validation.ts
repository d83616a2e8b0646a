import { z } from 'zod';
import { nestingProblem } from './json-nesting.js';

/**
 * What the request validators of both APIs share: the steps every body goes through, and how a
 * problem names its field. A validator returns the original object (nothing dropped or
 * reordered), so fields the gateway does not read pass upstream as sent.
 */

export interface ValidationProblem {
  /** The field, as the API writes it: OpenAI's `messages[0].role`, Anthropic's `messages.0.role`. */
  param: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problem: ValidationProblem };

export type ParamStyle = 'openai' | 'anthropic';

type Path = ReadonlyArray<PropertyKey>;

export function formatParam(path: Path, style: ParamStyle): string {
  if (style === 'anthropic') return path.map(String).join('.');
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/**
 * A body checked in order: a JSON object, nested no deeper than the limit (before anything walks
 * it), then the schema. The first problem found is the one reported.
 */
export function validateBody<T>(schema: z.ZodType, body: unknown, style: ParamStyle): Validated<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, problem: { param: '', message: 'the request body must be a JSON object' } };
  }
  const tooDeep = nestingProblem(body);
  if (tooDeep !== undefined) return { ok: false, problem: { param: formatParam(tooDeep.path, style), message: tooDeep.message } };
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: body as T };
  const issue = deepest(result.error.issues[0] as z.core.$ZodIssue);
  return { ok: false, problem: { param: formatParam(issue.path, style), message: issue.message } };
}

/**
 * "A string or a list of parts" is a union, and a union reports only that no branch matched.
 * When one branch got further (the list, down to one bad part), that branch's issue names the
 * field precisely, so it is the one reported.
 */
function deepest(issue: z.core.$ZodIssue): { path: Path; message: string } {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: { path: Path; message: string } | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined || first.path.length === 0) continue;
    const inner = deepest(first);
    if (best === undefined || inner.path.length > best.path.length) best = inner;
  }
  return best === undefined ? issue : { path: [...issue.path, ...best.path], message: best.message };
}

/**
 * An object told apart by its `type`: the schema for a known type checks it whole; any other
 * type passes as long as it is a string (new part and block types keep working). Issues keep
 * their own paths, so a bad field of a known type is named exactly.
 */
export function byType(known: Readonly<Record<string, z.ZodType>>, typeError: string): z.ZodType {
  return z.looseObject({ type: z.string({ error: typeError }) }, { error: 'expected an object' }).superRefine((value, ctx) => {
    const schema = Object.hasOwn(known, value.type) ? known[value.type] : undefined;
    const result = schema?.safeParse(value);
    if (result === undefined || result.success) return;
    for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
  });
}

/** Messages in the API's own wording: "Field required" (Anthropic) or "is required" (OpenAI). */
export function requiredOr(missing: string, expected: string) {
  return (issue: { input?: unknown }): string => (issue.input === undefined ? missing : `expected ${expected}`);
}
