import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerSecret } from '../../src/core/index.js';
import { errorForLog } from '../../src/server/error-response.js';

/** A bug is logged with its stack, and whatever it quotes goes through the secret redaction. */

test('a bug\'s log entry has its type, message and stack, with secrets masked', () => {
  registerSecret('sk-deployment-secret-771');
  // V8 quotes property names in its messages, and a stack repeats the message.
  const lookup = (record: Record<string, Record<string, number> | undefined>, group: string, key: string) => record[group]![key];
  let thrown: unknown;
  try {
    lookup({}, 'missing-group', 'sk-deployment-secret-771');
  } catch (error) {
    thrown = error;
  }
  assert.match((thrown as Error).message, /sk-deployment-secret-771/, 'the bug quotes the secret');
  const entry = errorForLog(thrown);
  assert.equal(entry.type, 'TypeError');
  assert.ok(entry.stack?.includes('lookup'), entry.stack);
  assert.ok(!JSON.stringify(entry).includes('sk-deployment-secret-771'), JSON.stringify(entry));
  assert.match(entry.message, /\[REDACTED\]/);
  assert.deepEqual(errorForLog('a thrown string with sk-deployment-secret-771'), { type: 'string', message: 'a thrown string with [REDACTED]' });
});
