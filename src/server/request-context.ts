import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deployment } from '../config/index.js';
import type { Cancellation } from '../core/index.js';
import type { CallCost, CallUsage } from '../cost/index.js';
import type { Caller } from '../keys/index.js';
import type { Admission } from '../limits/index.js';
import type { ErrorShape } from './http/route-table.js';

/** What the gateway learns about one request as it handles it; read by the log line (and metrics). */
export interface RequestContext {
  readonly id: string;
  /** The id came from the client's `x-request-id` (so it may repeat). */
  readonly idFromClient: boolean;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Aborted when the client goes away (no reason) or the drain gives up (a GatewayError reason). */
  readonly abort: Cancellation;
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly method: string;
  /**
   * Response headers decided so far, as a flat name/value list, written with the status line
   * (see http/respond.ts); `x-request-id` is the first.
   */
  readonly headers: string[];
  /** The matched route's pattern (`unmatched` when none): a label, never the raw path. */
  route: string;
  /** Shape of error bodies on this route. */
  errorShape: ErrorShape;
  modelGroup?: string;
  deployment?: Deployment;
  /** Scheme, host and port of the upstream that answered. */
  apiBase?: string;
  attempts?: number;
  /** Attempts that repeated a failed one within a model group. */
  retries?: number;
  /** Fallback groups tried. */
  fallbacks?: number;
  fallbackGroup?: string;
  stream?: boolean;
  /** Milliseconds waiting on upstreams, retry waits included (to the first event for streams). */
  upstreamMs?: number;
  /** Milliseconds from arrival to the first upstream byte reaching the client (streams). */
  firstByteMs?: number;
  overheadMs?: number;
  errorCode?: string;
  usage?: CallUsage;
  /** The call's cost once priced (priceCall); null when its deployment has no price. */
  cost?: CallCost | null;
  /** The request's LiteLLM tags (`tags`, `metadata.tags`), for the log line. */
  tags?: readonly string[];
  /** What the response cache did (`litellm_settings.cache`), for the log line; unset when caching is off. */
  cache?: 'hit' | 'miss' | 'skip';
  cacheType?: 'redis' | 'local';
  /** The virtual key that made the request; undefined for the master key (or no auth). */
  caller: Caller | undefined;
  /** The call as counted against its key's, team's and user's limits (settled when the response is over). */
  admission: Admission | undefined;
  /** The request's cache key, when it was cacheable (the spend row's `cache_key`). */
  cacheKey?: string;
  /** A hit: what the call that made the answer cost, in USD (null: its deployment had no price). */
  savedUsd?: number | null;
  /** Bytes of the request body held against the worker's body budget (given back when the response ends). */
  bodyBytes: number;
}
