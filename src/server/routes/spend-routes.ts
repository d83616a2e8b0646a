import { GatewayError } from '../../core/index.js';
import { hashToken } from '../../keys/index.js';
import type { SpendLogFilter, SpendLogs } from '../../spend/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { queryOf, sendJson } from '../http/respond.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

/**
 * `GET /spend/logs` (behind the master key): the rows of `LiteLLM_SpendLogs`, newest first, by
 * `start_date` / `end_date` (`YYYY-MM-DD` or ISO-8601; a bare end date includes that day),
 * `model`, `tags` (comma-separated: rows with every one), `request_id`, `api_key` (a virtual key or
 * its hash), `user_id`, `team_id`, `limit` (100; at most 1,000).
 */
export function spendRoutes(spend: SpendLogs | undefined): RouteSpec[] {
  return [{
    method: 'GET',
    paths: ['/spend/logs', '/v1/spend/logs'],
    adminOnly: true,
    async handle(ctx) {
      if (spend === undefined) throw new GatewayError('database_unavailable', 'Spend logs need a database: set DATABASE_URL or general_settings.database_url.');
      const filter = readFilter(queryOf(ctx.request.url));
      let rows: Array<Record<string, unknown>>;
      try {
        rows = await spend.query(filter);
      } catch (error) {
        throw new GatewayError('database_unavailable', `PostgreSQL did not answer the spend log query: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      sendJson(ctx, 200, rows);
    },
  }];
}

function readFilter(query: URLSearchParams): SpendLogFilter {
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) throw invalid('limit', `expected a whole number of at least 1, got "${limitText}"`);
  const tags = query.get('tags');
  return {
    start: date(query, 'start_date', false),
    end: date(query, 'end_date', true),
    model: query.get('model') ?? undefined,
    tags: tags === null ? undefined : tags.split(',').map((t) => t.trim()).filter((t) => t !== ''),
    requestId: query.get('request_id') ?? undefined,
    // LiteLLM's `api_key` filter takes the key or its hash.
    apiKey: apiKeyOf(query.get('api_key')),
    userId: query.get('user_id') ?? undefined,
    teamId: query.get('team_id') ?? undefined,
    limit: Math.min(limit, MAX_LIMIT),
  };
}

function apiKeyOf(value: string | null): string | undefined {
  if (value === null || value === '') return undefined;
  return value.startsWith('sk-') ? hashToken(value) : value;
}

function date(query: URLSearchParams, name: string, endOfDay: boolean): Date | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const value = new Date(dayOnly ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(value.getTime())) throw invalid(name, `expected a date (YYYY-MM-DD) or an ISO-8601 time, got "${text}"`);
  if (dayOnly && endOfDay) value.setUTCDate(value.getUTCDate() + 1);
  return value;
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${message}`, { param });
}
