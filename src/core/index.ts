export * from './errors.js';
export * from './ids.js';
export * from './clock.js';
export * from './logger.js';
export * from './redact.js';
export * from './version.js';
export * from './cancellation.js';
export * from './json-pieces.js';
