import type { FastifyRequest } from 'fastify';
import type { Logger } from '../core/index.js';
import type { RequestContext } from './request-context.js';

/** One JSON line per request. Never headers, bodies or keys: only what the gateway decided. */
export function logRequest(logger: Logger, request: FastifyRequest, ctx: RequestContext, status: number, route: string): void {
  if (!logger.isLevelEnabled('info')) return;
  const line: Record<string, unknown> = {
    request_id: ctx.id,
    method: request.method,
    route,
    status,
    duration_ms: round(performance.now() - ctx.startedAt),
  };
  if (ctx.modelGroup !== undefined) line.model_group = ctx.modelGroup;
  if (ctx.deployment !== undefined) {
    line.deployment_id = ctx.deployment.id;
    line.provider = ctx.deployment.provider;
  }
  if (ctx.stream) line.stream = true;
  if (ctx.attempts !== undefined && ctx.attempts > 1) line.attempts = ctx.attempts;
  if (ctx.fallbackGroup !== undefined) line.fallback_group = ctx.fallbackGroup;
  if (ctx.overheadMs !== undefined) line.overhead_ms = round(ctx.overheadMs);
  if (ctx.firstByteMs !== undefined) line.ttft_ms = round(ctx.firstByteMs);
  if (ctx.usage !== undefined) line.tokens = { input: ctx.usage.promptTokens, output: ctx.usage.completionTokens };
  if (ctx.errorCode !== undefined) line.error_code = ctx.errorCode;
  logger.info(line, 'request');
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
