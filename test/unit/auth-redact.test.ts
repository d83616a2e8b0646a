import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError, redact, registerSecret } from '../../src/core/index.js';
import { KeyCheck } from '../../src/server/auth.js';

test('the key check accepts the master key in any of its headers and nothing else', () => {
  const keys = new KeyCheck('sk-master-key-1');
  keys.verify({ authorization: 'Bearer sk-master-key-1' });
  keys.verify({ 'x-api-key': 'sk-master-key-1' });
  keys.verify({ 'api-key': 'sk-master-key-1' });
  for (const headers of [{}, { authorization: 'Bearer sk-master-key-2' }, { authorization: 'Bearer sk-master-key-1x' }, { 'x-api-key': '' }]) {
    assert.throws(() => keys.verify(headers), (error: unknown) => error instanceof GatewayError && error.status === 401);
  }
  new KeyCheck(undefined).verify({});
});

test('redaction masks registered secrets and common key shapes', () => {
  registerSecret('hunter2-very-secret');
  assert.equal(redact('key hunter2-very-secret rejected'), 'key [REDACTED] rejected');
  assert.equal(redact('Incorrect API key provided: sk-proj-abcdefghijkl'), 'Incorrect API key provided: [REDACTED]');
  assert.equal(redact('Authorization: Bearer abc.def.ghijklmnop'), 'Authorization: [REDACTED]');
  assert.equal(redact('nothing secret here'), 'nothing secret here');
});
