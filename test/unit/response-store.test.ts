import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryResponseStore, type StoredTranslated } from '../../src/response-store/index.js';
import type { ResponseObject } from '../../src/protocol/index.js';

/** The in-memory store: conversations read back turn by turn, a byte cap (least recently used out), expiry. */

function turn(id: string, chain: string[], text: string, padding = 0): StoredTranslated {
  const response = { id, object: 'response', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }] } as unknown as ResponseObject;
  return { kind: 'translated', id, response, input: [{ type: 'message', role: 'user', content: `q-${id}${'x'.repeat(padding)}` }], chain };
}

test('a conversation comes back whole, oldest turn first; a missing turn makes it unreadable', async () => {
  const store = new MemoryResponseStore(60_000, 1_000_000);
  await store.put(turn('r1', [], 'a1'));
  await store.put(turn('r2', ['r1'], 'a2'));
  const last = turn('r3', ['r1', 'r2'], 'a3');
  await store.put(last);
  const items = await store.conversation(last);
  assert.deepEqual(items?.map((i) => (i.role === 'user' ? i.content : (i.content as Array<{ text: string }>)[0]!.text)), ['q-r1', 'a1', 'q-r2', 'a2', 'q-r3', 'a3']);
  assert.equal(await store.delete('r2'), true);
  assert.equal(await store.conversation(last), undefined);
  assert.equal(await store.delete('r2'), false);
});

test('past the byte cap the least recently used record goes; reading one keeps it', async () => {
  const one = JSON.stringify(turn('a', [], 'x', 1000)).length * 2;
  const store = new MemoryResponseStore(60_000, one * 3 + 100);
  for (const id of ['a', 'b', 'c']) await store.put(turn(id, [], 'x', 1000));
  await store.get('a'); // now the most recently used
  await store.put(turn('d', [], 'x', 1000));
  assert.ok(await store.get('a'));
  assert.equal(await store.get('b'), undefined, 'b was the least recently used');
  assert.ok(await store.get('c'));
  assert.ok(store.size.bytes <= one * 3 + 100);
});

test('records expire; a new turn renews the turns before it', async () => {
  let now = 0;
  const store = new MemoryResponseStore(1_000, 1_000_000, () => now);
  await store.put(turn('r1', [], 'a1'));
  now = 900;
  await store.put(turn('r2', ['r1'], 'a2'));
  now = 1_500; // past r1's own expiry, within r2's
  assert.ok(await store.get('r1'), 'kept alive by the turn after it');
  now = 2_000;
  assert.equal(await store.get('r1'), undefined);
  assert.equal(await store.get('r2'), undefined);
});
