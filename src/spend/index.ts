export * from './spend-row.js';
export * from './spend-writer.js';
export * from './spend-log-query.js';
export * from './spend-logs.js';
