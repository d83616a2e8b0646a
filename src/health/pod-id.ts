import { hostname } from 'node:os';
import { randomId } from '../core/index.js';

/**
 * This host's id in shared health checks and as the lock holder: host name (the pod name in
 * Kubernetes), pid and a random part, so that it is unique even when a restarted container gets
 * the same host name and pid (LiteLLM's millisecond timestamp is not).
 */
export function makePodId(): string {
  return `${hostname()}-${process.pid}-${randomId(6)}`;
}
