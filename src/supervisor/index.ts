export { Supervisor, type ConfigCheck, type SupervisorOptions } from './supervisor.js';
export { WorkerLink, type WorkerLinkHooks } from './worker-link.js';
export { drawRequestLimit } from './worker-limits.js';
export { workerExecArgv, WORKER_HEAP_FLAGS } from './worker-node-flags.js';
export { Backoff } from './backoff.js';
export { openListenSocket, type ListenSocket } from './listen-socket.js';
export type { WorkerMessage, PrimaryMessage, WorkerMessageOf, PrimaryMessageOf, WorkerStats, RecycleReason, RestartReason, CodeCacheOutcome } from './ipc-messages.js';
export type { WorkerRecord } from './worker-registry.js';
