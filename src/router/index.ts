export { Router, modelNotFound, type Routed, type RouterOptions } from './router.js';
