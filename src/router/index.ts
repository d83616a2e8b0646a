export { Router, isRefusedWait, modelNotFound, newRouteTrace, type Routed, type RouteTrace, type RouterOptions } from './router.js';
export type { RouterObserver } from './router-observer.js';
export type { DeploymentState } from './deployment-watch.js';
export type { FailureKind } from './failure-kind.js';
export { ModelGroupResolver, isModelGroupPattern, upstreamModelFor, type ResolvedModelGroup } from './model-group-resolver.js';
export { fallbacksFor } from './fallback-plan.js';
