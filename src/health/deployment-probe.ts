import type { Deployment, HealthSettings } from '../config/index.js';
import { GatewayError, redact, sequentialId, upstreamFailure, type CancelSignal } from '../core/index.js';
import type { DeploymentClient } from '../providers/index.js';

/** What a probe sends: short, so that a probe of an expensive model costs next to nothing. */
export const PROBE_TEXT = 'ping';
/** Error text kept per deployment: enough to tell what failed, bounded whatever the upstream sent. */
const MAX_ERROR_CHARS = 500;

export interface ProbeResult {
  readonly deployment: Deployment;
  readonly healthy: boolean;
  readonly error?: string;
  readonly durationMs: number;
}

export type ProbeSettings = Pick<HealthSettings, 'probeTimeoutMs' | 'probeMaxTokens'>;

/**
 * Whether a deployment can be probed at all: a wildcard deployment (`openai/*`) has no model to
 * ask unless `health_check_model` names one, and modes other than chat, completion and embedding
 * have no probe here (a chat probe would report a working image model as broken).
 */
export function isProbeable(deployment: Deployment): boolean {
  const mode = deployment.info.mode;
  if (mode !== 'chat' && mode !== 'completion' && mode !== 'embedding') return false;
  return deployment.info.healthCheckModel !== undefined || !deployment.model.includes('*');
}

/** Probed by the background schedule: probeable and not `disable_background_health_check`. */
export function isScheduled(deployment: Deployment): boolean {
  return isProbeable(deployment) && !deployment.info.disableBackgroundHealthCheck;
}

/**
 * One probe, by `model_info.mode`: chat sends one short user message with a small `max_tokens`,
 * completion a short prompt, embedding a short input. Bounded by `health_check_timeout` (else
 * the global probe timeout) and by `signal`. Never throws: a failure is an unhealthy result whose
 * error is redacted.
 */
export async function probeDeployment(client: DeploymentClient, settings: ProbeSettings, signal?: CancelSignal): Promise<ProbeResult> {
  const deployment = client.deployment;
  const timeoutMs = deployment.info.healthCheckTimeoutMs ?? settings.probeTimeoutMs;
  const started = performance.now();
  const controller = new AbortController();
  const stop = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  let timer: NodeJS.Timeout | undefined;
  // Raced as well as signalled: a client that ignores the signal still cannot hold a round up.
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = upstreamFailure('upstream_timeout', `health check did not finish within ${formatSeconds(timeoutMs)}`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    if (signal?.aborted) throw new GatewayError('client_closed_request', 'health check cancelled');
    await Promise.race([send(client, settings, controller.signal), timedOut]);
    return { deployment, healthy: true, durationMs: performance.now() - started };
  } catch (error) {
    return { deployment, healthy: false, error: describe(error), durationMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  }
}

async function send(client: DeploymentClient, settings: ProbeSettings, signal: AbortSignal): Promise<void> {
  const deployment = client.deployment;
  const ctx = { signal, requestId: `health-${sequentialId()}`, upstreamModel: probeModel(deployment) };
  const maxTokens = deployment.info.healthCheckMaxTokens ?? settings.probeMaxTokens;
  const model = deployment.modelName;
  switch (deployment.info.mode) {
    case 'embedding':
      await client.embedding({ model, input: PROBE_TEXT }, ctx);
      return;
    case 'completion':
      await client.completion({ model, prompt: PROBE_TEXT, max_tokens: maxTokens, stream: false }, ctx);
      return;
    default:
      await client.chat({ model, messages: [{ role: 'user', content: PROBE_TEXT }], max_tokens: maxTokens, stream: false }, ctx);
  }
}

/**
 * `health_check_model` replaces the upstream model (a wildcard deployment's probe target, or a
 * cheaper sibling); written as LiteLLM does, with the provider prefix, which is dropped here
 * because the deployment's client already is that provider's.
 */
function probeModel(deployment: Deployment): string | undefined {
  const override = deployment.info.healthCheckModel;
  if (override === undefined) return undefined;
  const prefix = `${deployment.provider}/`;
  return override.startsWith(prefix) ? override.slice(prefix.length) : override;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const redacted = redact(text);
  return redacted.length > MAX_ERROR_CHARS ? `${redacted.slice(0, MAX_ERROR_CHARS)}…` : redacted;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}
