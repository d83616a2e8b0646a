import { GatewayError } from '../../core/index.js';

/**
 * JSON Schema (what OpenAI clients send for tools and `response_format`) → the OpenAPI 3.0 subset
 * Gemini's `Schema` takes (`parameters`, `responseSchema`). Gemini refuses any key outside that
 * subset with a 400 (`Unknown name "additionalProperties"`), so keys are kept by an allow-list;
 * `["string", "null"]` becomes `nullable`, `const` a one-value `enum`, `oneOf` `anyOf`, and local
 * `$ref`s are written out in place (Gemini has no references).
 */

const KEPT = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'minProperties', 'maxProperties',
  'minLength', 'maxLength', 'pattern', 'example', 'default', 'minimum', 'maximum', 'propertyOrdering', 'required',
]);

/** References deeper than this are a recursive schema, which Gemini cannot express. */
const MAX_DEPTH = 32;

type Schema = Record<string, unknown>;

export function toGeminiSchema(schema: unknown, where: string): Schema {
  const root = isObject(schema) ? schema : {};
  const defs = { ...asObject(root.definitions), ...asObject(root.$defs) };
  return convert(root, defs, where, 0);
}

/** Whether a converted object schema says nothing (Gemini refuses an OBJECT without properties in `parameters`). */
export function isEmptyObjectSchema(schema: Schema): boolean {
  return schema.type === 'object' && (!isObject(schema.properties) || Object.keys(schema.properties).length === 0);
}

function convert(schema: Schema, defs: Schema, where: string, depth: number): Schema {
  if (depth > MAX_DEPTH) throw new GatewayError('invalid_request', `${where}: the schema is recursive or nested too deeply for Gemini (which has no $ref)`, { param: where });
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
    const target = name === undefined ? undefined : defs[name];
    if (!isObject(target)) throw new GatewayError('invalid_request', `${where}: $ref "${ref}" does not name a local definition`, { param: where });
    const { $ref: _ref, ...rest } = schema;
    return convert({ ...target, ...rest }, defs, where, depth + 1);
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) if (KEPT.has(key)) out[key] = value;
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== 'null');
    if (types.length < schema.type.length) out.nullable = true;
    if (types.length === 1) out.type = types[0];
    else {
      delete out.type;
      if (types.length > 1) out.anyOf = types.map((type) => ({ type }));
    }
  }
  if (schema.const !== undefined) out.enum = [schema.const];
  if (isObject(schema.properties)) {
    const properties: Schema = {};
    for (const [name, value] of Object.entries(schema.properties)) properties[name] = convert(asObject(value), defs, where, depth + 1);
    out.properties = properties;
  }
  if (isObject(schema.items)) out.items = convert(schema.items, defs, where, depth + 1);
  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (alternatives !== undefined) {
    const nonNull = alternatives.filter((a) => !(isObject(a) && a.type === 'null'));
    if (nonNull.length < alternatives.length) out.nullable = true;
    if (nonNull.length === 1) Object.assign(out, convert(asObject(nonNull[0]), defs, where, depth + 1));
    else out.anyOf = nonNull.map((a) => convert(asObject(a), defs, where, depth + 1));
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) Object.assign(out, convert(asObject(schema.allOf[0]), defs, where, depth + 1));
  return out;
}

function isObject(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asObject(value: unknown): Schema {
  return isObject(value) ? value : {};
}
