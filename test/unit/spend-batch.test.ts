import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchParameters, batchSelect } from '../../src/spend/spend-batch.js';
import { SPEND_COLUMNS, type SpendRow } from '../../src/spend/spend-row.js';

/**
 * The batch's parameters as PostgreSQL reads them. What the server makes of them (every value back
 * as written, hostile text included) is proven against a real PostgreSQL in spend-db.test.ts;
 * here, the dictionaries: a repeated value travels once.
 */

function row(id: string, over: Partial<SpendRow> = {}): SpendRow {
  return {
    request_id: id, call_type: 'acompletion', api_key: '', spend: 0.001, total_tokens: 3, prompt_tokens: 2, completion_tokens: 1,
    startTime: 1_700_000_000_000, endTime: 1_700_000_000_005, request_duration_ms: 5, completionStartTime: null, model: 'gpt-4o', model_id: 'd1',
    model_group: 'gpt-4o', custom_llm_provider: 'openai', api_base: 'http://127.0.0.1:1', user: '', metadata: { status_code: 200 },
    request_tags: [], team_id: null, organization_id: null, end_user: null, status: 'success', cache_hit: 'False', cache_key: '', ...over,
  };
}

/** The column's array literal, by name. */
function column(params: string[], name: keyof SpendRow): string {
  return params[2 + SPEND_COLUMNS.findIndex(([n]) => n === name)]!;
}

test('a value shared by many rows travels once, in the dictionary; each row carries its index', () => {
  const rows = Array.from({ length: 100 }, (_, i) => row(`r${i}`, { model: i % 2 === 0 ? 'gpt-4o' : 'gpt-4o-mini', metadata: { status_code: i === 7 ? 500 : 200 } }));
  const params = batchParameters(rows);
  const texts = params[0]!;
  const jsons = params[1]!;
  assert.equal(texts.split('"gpt-4o"').length - 1, 1, 'the group and the model, the same text, are one entry');
  assert.equal(texts.split('"gpt-4o-mini"').length - 1, 1);
  assert.equal(jsons, '{"{\\"status_code\\":200}","{\\"status_code\\":500}","[]"}', 'two metadata documents and one tag list');
  const models = column(params, 'model').slice(1, -1).split(',').map(Number);
  const groups = column(params, 'model_group').slice(1, -1).split(',').map(Number);
  assert.equal(models.length, 100);
  const entries = texts.slice(1, -1).split(',').map((t) => JSON.parse(t) as string);
  models.forEach((id, i) => assert.equal(entries[id - 1], rows[i]!.model, `row ${i}: its index names its model`));
  assert.equal(groups[0], models[0], 'the same text in two columns, the same index');
  const metadata = column(params, 'metadata').slice(1, -1).split(',').map(Number);
  assert.equal(metadata[7], 2);
  assert.equal(metadata[8], 1);
  assert.deepEqual(new Set(column(params, 'request_tags').slice(1, -1).split(',')), new Set(['3']));
});

test('NULL stays NULL, numbers travel as numbers, times as milliseconds, ids quoted with their quotes escaped', () => {
  const params = batchParameters([row('a"b\\c', { team_id: 'team-1', completionStartTime: 1_700_000_000_003, spend: 0.1 + 0.2 }), row('plain', { spend: Number.NaN })]);
  assert.equal(column(params, 'request_id'), '{"a\\"b\\\\c","plain"}');
  assert.equal(column(params, 'team_id'), `{${params[0]!.slice(1, -1).split(',').indexOf('"team-1"') + 1},NULL}`);
  assert.equal(column(params, 'completionStartTime'), '{1700000000003,NULL}');
  assert.equal(column(params, 'spend'), '{0.30000000000000004,NULL}', 'a double as written; a non-finite one is no value');
  assert.equal(column(params, 'prompt_tokens'), '{2,2}');
});

test('a NUL character becomes U+FFFD, raw in text and escaped in JSON (PostgreSQL refuses NUL)', () => {
  const params = batchParameters([row('n\u0000ul', { model: 'm\u0000', metadata: { s: 'x\u0000y', kept: '\\u0000' } })]);
  assert.equal(column(params, 'request_id'), '{"n\uFFFDul"}');
  assert.ok(params[0]!.includes('"m\uFFFD"'));
  assert.ok(params[1]!.includes('x\\\\ufffdy'), params[1]);
  assert.ok(params[1]!.includes('\\\\\\\\u0000'), 'an escaped backslash before u0000 is text, not NUL');
});

test('the SELECT reads each column back by its encoding, named as its column', () => {
  const select = batchSelect([['api_key', 'shared'], ['spend', 'double'], ['metadata', 'json'], ['endTime', 'time']]);
  assert.equal(select, `SELECT d.t[r."api_key"] AS "api_key", r."spend" AS "spend", d.j[r."metadata"] AS "metadata", (to_timestamp(r."endTime" / 1000) AT TIME ZONE 'UTC') AS "endTime" `
    + `FROM unnest($3::integer[], $4::double precision[], $5::integer[], $6::double precision[]) AS r("api_key", "spend", "metadata", "endTime"), (SELECT $1::text[] AS t, $2::jsonb[] AS j) AS d`);
});
