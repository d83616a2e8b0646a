import type { Socket } from 'node:net';
import { addHeader } from './http/respond.js';
import type { ServerState } from './server-state.js';

/**
 * Moves a share of this worker's keep-alive clients elsewhere: a restarted worker gets only new
 * connections, and keep-alive clients would otherwise stay on the survivors (a replacement served
 * 194 requests against its neighbour's 26,737 over 10 s). The chosen connections get
 * `Connection: close` on their current response, if its headers are not sent yet, or on their
 * next one; the client then reconnects and the kernel hands the new connection to whichever
 * worker accepts it, most often the idle newcomer. No connection is closed under a client.
 * Returns how many connections were marked.
 */
export function shedConnections(state: ServerState, share: number): number {
  if (state.draining || !(share > 0)) return 0;
  const count = Math.min(state.connections.size, Math.ceil(state.connections.size * Math.min(1, share)));
  if (count === 0) return 0;
  const chosen = new Set<Socket>();
  for (const socket of state.connections) {
    if (chosen.size >= count) break;
    chosen.add(socket);
  }
  for (const ctx of state.active) {
    const socket = ctx.request.socket;
    if (!chosen.has(socket) || ctx.response.headersSent) continue;
    if (!ctx.headers.includes('connection')) addHeader(ctx, 'connection', 'close');
    chosen.delete(socket);
  }
  for (const socket of chosen) state.shedding.add(socket);
  return count;
}
