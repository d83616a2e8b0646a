import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonPieces, jsonForUpstream } from '../../src/core/json-pieces.js';

/** JsonPieces must write exactly what JSON.stringify writes, with the exact byte length. */

function joined(pieces: JsonPieces): Buffer {
  return Buffer.concat([...pieces]);
}

function same(value: unknown): void {
  const pieces = new JsonPieces(value);
  const expected = Buffer.from(JSON.stringify(value));
  const got = joined(pieces);
  assert.equal(got.length, expected.length, 'length of the pieces');
  assert.equal(pieces.byteLength, expected.length, 'declared byte length');
  assert.ok(got.equals(expected), 'same bytes as JSON.stringify');
  assert.ok(joined(pieces).equals(expected), 'iterable again, same bytes');
  for (const piece of pieces) assert.ok(piece.length <= 512 * 1024, `piece of ${piece.length} bytes`);
}

const big = (unit: string, chars: number) => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);

describe('JsonPieces', () => {
  test('small values of every JSON kind', () => {
    same({ a: 1, b: 'two', c: [true, false, null], d: { e: -0.5e-7, f: '' }, g: [] });
    same([undefined, () => 1, Symbol('s'), Number.NaN, Infinity, 'x']);
    same({ skipped: undefined, fn: () => 1, kept: 0, nested: { deep: [[['ok']]] } });
    same({ when: new Date(0), custom: { toJSON: () => ({ replaced: true }) } });
    same('just a string');
    same(42);
    same(null);
  });

  test('a large base64 image inside a chat request', () => {
    same({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${big('QUJD+/=', 300_000)}` } }] }] });
  });

  test('large strings that need escaping, non-ASCII text and surrogate pairs across window edges', () => {
    same({ text: big('line "quoted" \\ back\nslash\t', 200_000) });
    same({ text: big('日本語のテキスト', 150_000), other: big('é', 70_000) });
    // A pair right at a window edge: 65,535 ASCII characters, then emoji.
    same({ text: `${'a'.repeat(65_535)}${'😀'.repeat(40_000)}` });
    same({ text: `${'b'.repeat(65_535)}😀${'c'.repeat(70_000)}` });
    // Lone surrogates are escaped as JSON.stringify escapes them.
    same({ text: `${'d'.repeat(70_000)}\ud800${'e'.repeat(10)}\udc00` });
    same({ text: big('\u0001\u001f', 70_000) });
  });

  test('several large strings, large keys among small ones', () => {
    same({ a: big('x', 70_000), b: [big('y', 100_000), 'small', big('z', 65_536)], [big('k', 66_000)]: 1 });
  });

  test('small client bodies get the plain JSON string', () => {
    assert.equal(jsonForUpstream({ a: 1 }, 100), '{"a":1}');
    assert.equal(jsonForUpstream({ a: 1 }, undefined), '{"a":1}');
    assert.ok(jsonForUpstream({ a: 1 }, 2 * 1024 * 1024) instanceof JsonPieces);
  });
});
