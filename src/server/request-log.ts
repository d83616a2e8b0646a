import { lineWriter, type LineWriter, type Logger } from '../core/index.js';
import type { RequestContext } from './request-context.js';

const writers = new WeakMap<Logger, LineWriter>();

/**
 * One JSON line per request. Never headers, bodies or keys: only what the gateway decided. Built
 * as text (every value a number, a constant or JSON-encoded), since it runs on every request.
 */
export function logRequest(logger: Logger, ctx: RequestContext, status: number): void {
  let write = writers.get(logger);
  if (write === undefined) {
    write = lineWriter(logger, 'info', 'request');
    writers.set(logger, write);
  }
  let line = `"request_id":${JSON.stringify(ctx.id)},"method":${JSON.stringify(ctx.method)},"route":${JSON.stringify(ctx.route)},"status":${status},"duration_ms":${round(performance.now() - ctx.startedAt)}`;
  if (ctx.modelGroup !== undefined) line += `,"model_group":${JSON.stringify(ctx.modelGroup)}`;
  if (ctx.deployment !== undefined) line += `,"deployment_id":${JSON.stringify(ctx.deployment.id)},"provider":${JSON.stringify(ctx.deployment.provider)}`;
  if (ctx.stream) line += ',"stream":true';
  if (ctx.attempts !== undefined && ctx.attempts > 1) line += `,"attempts":${ctx.attempts}`;
  if (ctx.retries) line += `,"retries":${ctx.retries}`;
  if (ctx.fallbacks) line += `,"fallbacks":${ctx.fallbacks}`;
  if (ctx.fallbackGroup !== undefined) line += `,"fallback_group":${JSON.stringify(ctx.fallbackGroup)}`;
  if (ctx.overheadMs !== undefined) line += `,"overhead_ms":${round(ctx.overheadMs)}`;
  if (ctx.firstByteMs !== undefined) line += `,"ttft_ms":${round(ctx.firstByteMs)}`;
  const usage = ctx.usage;
  if (usage !== undefined) {
    line += `,"tokens":{"input":${usage.input},"output":${usage.output}`;
    if (usage.cacheRead > 0) line += `,"cache_read":${usage.cacheRead}`;
    if (usage.cacheWrite > 0) line += `,"cache_creation":${usage.cacheWrite}`;
    line += '}';
    // null: the deployment has no price (never a made-up $0)
    if (ctx.cost !== undefined) line += ctx.cost === null ? ',"cost_usd":null' : `,"cost_usd":${ctx.cost.usd},"price_source":${JSON.stringify(ctx.cost.source)}`;
  }
  if (ctx.errorCode !== undefined) line += `,"error_code":${JSON.stringify(ctx.errorCode)}`;
  if (ctx.cache !== undefined) {
    line += `,"cache":"${ctx.cache}"`;
    if (ctx.savedUsd !== undefined) line += `,"saved_usd":${ctx.savedUsd}`; // a hit: what its first call cost (null: unpriced)
  }
  if (ctx.tags !== undefined) line += `,"tags":${JSON.stringify(ctx.tags)}`;
  write(line);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
