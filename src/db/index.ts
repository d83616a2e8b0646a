export * from './sql-client.js';
export * from './migration.js';
export * from './postgres-client.js';
