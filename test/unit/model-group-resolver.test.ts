import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelGroupResolver, upstreamModelFor } from '../../src/router/index.js';

const groups = ['gpt-4o', 'openai/*', '*', 'claude-*', 'team/*', 'gpt-*', 'a*b*c'];
const resolver = new ModelGroupResolver(groups);

test('an exact name wins over every pattern that also matches it', () => {
  assert.deepEqual(resolver.resolve('gpt-4o'), { group: 'gpt-4o', segments: [] });
});

test('otherwise the most specific pattern: longest first, the catch-all last', () => {
  assert.deepEqual(resolver.resolve('openai/gpt-4o'), { group: 'openai/*', segments: ['gpt-4o'] });
  assert.deepEqual(resolver.resolve('claude-3-haiku'), { group: 'claude-*', segments: ['3-haiku'] });
  assert.deepEqual(resolver.resolve('gpt-4.1-mini'), { group: 'gpt-*', segments: ['4.1-mini'] });
  assert.deepEqual(resolver.resolve('team/llama'), { group: 'team/*', segments: ['llama'] });
  assert.deepEqual(resolver.resolve('mistral-large'), { group: '*', segments: ['mistral-large'] });
});

test('equal length: more wildcards first, then config order', () => {
  assert.equal(new ModelGroupResolver(['y*z', '**z']).resolve('yaz')?.group, '**z'); // same length, two wildcards
  assert.equal(new ModelGroupResolver(['ab*', 'a*c']).resolve('abc')?.group, 'ab*');
  assert.equal(new ModelGroupResolver(['a*c', 'ab*']).resolve('abc')?.group, 'a*c');
});

test('characters other than * match themselves (a dot is a dot), and nothing matches nothing', () => {
  const r = new ModelGroupResolver(['gpt-4.*']);
  assert.equal(r.resolve('gpt-4.1')?.group, 'gpt-4.*');
  assert.equal(r.resolve('gpt-4o'), undefined);
  assert.equal(new ModelGroupResolver(['only-this']).resolve('other'), undefined);
  assert.deepEqual(resolver.resolve('a1b2c'), { group: 'a*b*c', segments: ['1', '2'] });
});

test('the upstream model takes what * matched; a model without * is sent as written', () => {
  const openai = resolver.resolve('openai/gpt-4o')!;
  assert.equal(upstreamModelFor('*', openai, 'openai/gpt-4o'), 'gpt-4o');
  const team = resolver.resolve('team/gpt-4o-mini')!;
  assert.equal(upstreamModelFor('*', team, 'team/gpt-4o-mini'), 'gpt-4o-mini');
  const claude = resolver.resolve('claude-3-haiku')!;
  assert.equal(upstreamModelFor('claude-*', claude, 'claude-3-haiku'), 'claude-3-haiku');
  assert.equal(upstreamModelFor('pinned-model', claude, 'claude-3-haiku'), 'pinned-model');
  assert.equal(upstreamModelFor('*', resolver.resolve('gpt-4o')!, 'gpt-4o'), '*', 'an exact name substitutes nothing');
  const two = resolver.resolve('a1b2c')!;
  assert.equal(upstreamModelFor('m-*-*', two, 'a1b2c'), 'm-1-2');
  assert.equal(upstreamModelFor('m-*', two, 'a1b2c'), 'a1b2c', 'more segments than * in the model: the requested name');
  assert.equal(upstreamModelFor('x-$&-*', resolver.resolve('openai/$1')!, 'openai/$1'), 'x-$&-$1', 'segments are inserted literally');
});
