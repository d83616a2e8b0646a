import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../src/core/index.js';
import { addDuration, mayUse, parseDuration, resolveModel, type Caller } from '../../src/keys/index.js';
import { windowEndAfter } from '../../src/limits/index.js';

/** Which model groups a virtual key may call (LiteLLM's rules), and LiteLLM's budget durations. */

function caller(models: string[], teamModels?: string[], aliases: Record<string, string> = {}): Caller {
  return {
    tokenHash: 'h', keyAlias: null, keyName: null, teamId: teamModels === undefined ? null : 't1', teamAlias: null, userId: null,
    models, teamModels, aliases, scopes: [], modelScopes: new Map(), admin: false, expiresAt: null, blocked: false, teamBlocked: false,
  };
}

const refusal = (type: string) => (error: unknown) => error instanceof GatewayError && error.type === type && error.status === 401;

test('an empty list, all-proxy-models and * allow every group; otherwise only the groups listed', () => {
  for (const models of [[], ['all-proxy-models'], ['*']]) assert.equal(resolveModel(caller(models), 'gpt-4o'), 'gpt-4o');
  assert.equal(resolveModel(caller(['gpt-4o']), 'gpt-4o'), 'gpt-4o');
  assert.throws(() => resolveModel(caller(['gpt-4o']), 'gpt-4o-mini'), refusal('key_model_access_denied'));
  assert.equal(resolveModel(caller(['openai/*']), 'openai/gpt-4o'), 'openai/gpt-4o');
  assert.throws(() => resolveModel(caller(['openai/*']), 'anthropic/claude'), refusal('key_model_access_denied'));
});

test("the team's models apply too; all-team-models defers to them", () => {
  assert.throws(() => resolveModel(caller([], ['mini']), 'big'), refusal('team_model_access_denied'));
  assert.equal(resolveModel(caller(['all-team-models'], ['mini']), 'mini'), 'mini');
  assert.throws(() => resolveModel(caller(['all-team-models'], ['mini']), 'big'), refusal('key_model_access_denied'));
  assert.equal(resolveModel(caller([], []), 'big'), 'big', "a team without models allows every group");
});

test('aliases name a model group; the name or its target must be allowed; listings follow', () => {
  const withAlias = caller(['small'], undefined, { small: 'gpt-4o-mini' });
  assert.equal(resolveModel(withAlias, 'small'), 'gpt-4o-mini');
  assert.equal(mayUse(withAlias, 'gpt-4o-mini'), true, 'listed: reachable through its alias');
  assert.equal(mayUse(withAlias, 'gpt-4o'), false);
  assert.equal(mayUse(caller([], ['mini']), 'mini'), true);
  assert.equal(mayUse(caller([], ['mini']), 'big'), false);
});

test("budget durations as LiteLLM reads them; months on the calendar", () => {
  assert.deepEqual(parseDuration('30d'), { amount: 30, unit: 'd' });
  for (const bad of ['30', 'd', '1y', '-1h', '0s', '1.5h']) assert.equal(parseDuration(bad), undefined, bad);
  const start = Date.UTC(2026, 0, 31, 12);
  assert.equal(addDuration(start, '90s'), start + 90_000);
  assert.equal(addDuration(start, '2h'), start + 7_200_000);
  assert.equal(addDuration(start, '1w'), start + 7 * 86_400_000);
  assert.equal(new Date(addDuration(start, '1mo')!).toISOString(), '2026-02-28T12:00:00.000Z', 'Jan 31 + 1 month: the last of February');
  assert.equal(new Date(addDuration(start, '13mo')!).toISOString(), '2027-02-28T12:00:00.000Z');
  assert.equal(new Date(addDuration(Date.UTC(2026, 1, 15), '1mo')!).toISOString(), '2026-03-15T00:00:00.000Z');
});

test('the window a time falls in, on the grid the stored end lays down', () => {
  const stored = Date.UTC(2026, 0, 31, 12);
  assert.equal(windowEndAfter(stored, '2s', stored - 1), stored, 'before the stored end: the stored window');
  assert.equal(windowEndAfter(stored, '2s', stored), stored + 2_000, 'at the end: the next one');
  assert.equal(windowEndAfter(stored, '2s', stored + 3_600_700), stored + 3_602_000);
  const month = 30 * 86_400_000;
  assert.equal(windowEndAfter(stored, '1m', stored + month + 1), stored + month + 60_000, 'a 1m budget unread for a month: 43,200 windows on, computed, not stepped');
  assert.equal(new Date(windowEndAfter(stored, '1mo', Date.UTC(2026, 3, 1))!).toISOString(), '2026-04-28T12:00:00.000Z', 'months stepped on the calendar from the stored end');
  assert.equal(windowEndAfter(stored, '1y', stored + 1), undefined, 'a duration LiteLLM does not read');
});
