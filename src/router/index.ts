export { Router, modelNotFound, type Routed, type RouterOptions } from './router.js';
export { ModelGroupResolver, isModelGroupPattern, upstreamModelFor, type ResolvedModelGroup } from './model-group-resolver.js';
