export { RedisConnection, REDIS_COMMAND_TIMEOUT_MS, type RedisConnectionOptions } from './redis-connection.js';
export type { RedisCommands } from './redis-commands.js';
export { defineScript, runScript, type LuaScript } from './lua-script.js';
