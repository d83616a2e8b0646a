import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError, redact, registerSecret } from '../../src/core/index.js';
import { KeyCheck, sameText } from '../../src/server/auth.js';

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

test('a connection that proved the key is remembered for that key only; a failed one is not remembered', () => {
  const keys = new KeyCheck('sk-master-key-1');
  const proved = {};
  const guessing = {};
  const rejected = (headers: Record<string, string>, connection: object) =>
    assert.throws(() => keys.verify(headers, connection), (error: unknown) => error instanceof GatewayError && error.status === 401);
  rejected({ authorization: 'Bearer sk-master-key-2' }, guessing);
  rejected({ authorization: 'Bearer sk-master-key-2' }, guessing);
  keys.verify({ authorization: 'Bearer sk-master-key-1' }, proved);
  keys.verify({ authorization: 'Bearer sk-master-key-1' }, proved);
  keys.verify({ 'x-api-key': 'sk-master-key-1' }, proved);
  for (const wrong of ['sk-master-key-2', 'sk-master-key-1x', 'sk-master-key-', 'sk-master-key-1\u0000']) rejected({ authorization: `Bearer ${wrong}` }, proved);
  rejected({}, proved);
  keys.verify({ authorization: 'Bearer sk-master-key-1' }, proved);
});

test('sameText: equal texts only, whatever the lengths', () => {
  assert.equal(sameText('sk-abc', 'sk-abc'), true);
  assert.equal(sameText('', ''), true);
  for (const [a, b] of [['sk-abd', 'sk-abc'], ['sk-ab', 'sk-abc'], ['sk-abcd', 'sk-abc'], ['', 'x'], ['x', ''], ['\u0000', '']]) {
    assert.equal(sameText(a as string, b as string), false, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});

test('redaction masks registered secrets and common key shapes', () => {
  registerSecret('hunter2-very-secret');
  assert.equal(redact('key hunter2-very-secret rejected'), 'key [REDACTED] rejected');
  assert.equal(redact('Incorrect API key provided: sk-proj-abcdefghijkl'), 'Incorrect API key provided: [REDACTED]');
  assert.equal(redact('Authorization: Bearer abc.def.ghijklmnop'), 'Authorization: [REDACTED]');
  assert.equal(redact('nothing secret here'), 'nothing secret here');
});

test('a connection proved with Basic (the key as password) is remembered for the key itself', () => {
  const keys = new KeyCheck('sk-master-key-1');
  const connection = {};
  keys.verify({ authorization: `Basic ${Buffer.from('pk-lf-1:sk-master-key-1').toString('base64')}` }, connection);
  keys.verify({ authorization: 'Bearer sk-master-key-1' }, connection);
  for (const authorization of ['Basic sk-master-key-2', 'sk-master-key-1', `Basic ${Buffer.from('sk-master-key-1:x').toString('base64')}`]) {
    assert.throws(() => keys.verify({ authorization }, connection), (error: unknown) => error instanceof GatewayError && error.status === 401);
  }
});
