import type { Config } from '../config/index.js';
import type { PriceBook } from '../cost/index.js';
import { GatewayError } from '../core/index.js';
import type { Caller } from '../keys/index.js';
import { hasLimits, type Admission, type Denial, type LimitGate, type LimitScope } from '../limits/index.js';
import { CallEstimator, type CallKind } from './call-estimate.js';
import type { RequestContext } from './request-context.js';

/** LiteLLM's descriptor names in its rate limit message (parallel_request_limiter_v3). */
const DESCRIPTOR: Readonly<Record<LimitScope['kind'], string>> = { key: 'api_key', team: 'team', user: 'user', model_per_key: 'model_per_key' };
const LIMIT_TYPE = { rpm: 'requests', tpm: 'tokens', parallel: 'max_parallel_requests' } as const;

/**
 * A virtual key's limits on the request path: admitted before routing (the key, its team, its
 * user, across the cluster through src/limits), settled with the call's real cost and tokens when
 * its response is over, however it ended (answered, failed, client gone, stream done).
 */
export class CallLimits {
  private readonly estimator: CallEstimator;

  constructor(private readonly gate: LimitGate, config: Config, prices: PriceBook) {
    this.estimator = new CallEstimator(config, prices);
  }

  /**
   * Admits the call or throws LiteLLM's error. A body the route will refuse (not an object) is
   * estimated as empty: it is counted, and answered 400 by the route. `open` says whether the response is still open: a
   * client gone while Redis answered is settled at once (its close has already run).
   */
  admit(ctx: RequestContext, caller: Caller, kind: CallKind, body: unknown, azureDeployment: string | undefined, open: () => boolean): void | Promise<void> {
    if (caller.modelScopes.size === 0 && !caller.scopes.some(hasLimits)) return;
    let fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? body as Record<string, unknown> : {};
    // The Azure path names the model group in the path (its `:deployment`), not the body.
    if (azureDeployment !== undefined && typeof fields.model !== 'string') fields = { ...fields, model: azureDeployment };
    // The key's own limits for this model group (model_rpm_limit …), counted beside its other scopes.
    const modelScope = caller.modelScopes.size > 0 && typeof fields.model === 'string' ? caller.modelScopes.get(fields.model) : undefined;
    const scopes = modelScope === undefined ? caller.scopes : [...caller.scopes, modelScope];
    if (!scopes.some(hasLimits)) return;
    const budgeted = caller.scopes.some((s) => s.maxBudget !== null);
    const estimate = this.estimator.estimate(kind, fields, ctx.bodyBytes, budgeted);
    const result = this.gate.admit(scopes, estimate);
    // Answered at once (no Redis, a budget block of this worker's): no promise to wait for.
    if (!(result instanceof Promise)) {
      this.admitted(ctx, result, open);
      return;
    }
    return result.then((admitted) => this.admitted(ctx, admitted, open));
  }

  private admitted(ctx: RequestContext, result: Admission | Denial, open: () => boolean): void {
    if ('reason' in result) throw limitError(result);
    ctx.admission = result;
    if (!open()) {
      // The client went while Redis or the primary answered: its close has run, so settle now, and call no one.
      this.settle(ctx);
      throw new GatewayError('client_closed_request', 'The client went away while its call was being admitted.');
    }
  }

  /** The call is over (the response's close): its real cost (0 when unknown) and tokens. */
  settle(ctx: RequestContext): void {
    const admission: Admission | undefined = ctx.admission;
    if (admission === undefined) return;
    const usage = ctx.usage;
    this.gate.settle(admission, ctx.cost?.usd ?? 0, usage === undefined ? undefined : usage.input + usage.output);
  }
}

/** LiteLLM's errors: the budget's BudgetExceededError (400), its rate limiter's 429 with `retry-after`. */
export function limitError(denial: Denial): GatewayError {
  const { scope } = denial;
  if (denial.reason === 'budget') {
    const who = scope.kind === 'key' ? '' : ` ${scope.kind === 'team' ? 'Team' : 'User'}=${scope.id}`;
    return new GatewayError('budget_exceeded', `Budget has been exceeded!${who} Current cost: ${denial.used}, Max budget: ${denial.limit}`);
  }
  const retryAfter = String(denial.retryAfterS);
  if (denial.reason === 'budget_held') {
    return new GatewayError('key_rate_limited', `Budget of ${DESCRIPTOR[scope.kind]}: ${scope.id} is held by calls in flight (current cost: ${denial.used}, max budget: ${denial.limit}); try again when they finish.`, {
      headers: { 'retry-after': retryAfter, rate_limit_type: 'budget' },
    });
  }
  const resetAt = new Date(Date.now() + denial.retryAfterS * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const type = LIMIT_TYPE[denial.reason];
  return new GatewayError('key_rate_limited',
    `Rate limit exceeded for ${DESCRIPTOR[scope.kind]}: ${scope.id}. Limit type: ${type}. Current limit: ${denial.limit}, Remaining: ${Math.max(0, denial.limit - denial.used)}. Limit resets at: ${resetAt}`,
    { headers: { 'retry-after': retryAfter, rate_limit_type: type, reset_at: resetAt } });
}
