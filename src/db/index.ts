export * from './sql-client.js';
export * from './migration.js';
// postgres-client.ts is imported by path, with import(), only where a database is configured:
// a worker without one never evaluates the client library (~5 MB resident).
