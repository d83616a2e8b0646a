export { RedisConnection, REDIS_COMMAND_TIMEOUT_MS, type RedisConnectionOptions } from './redis-connection.js';
export { RedisSubscription, type RedisSubscriptionOptions } from './redis-subscription.js';
export type { RedisCommands } from './redis-commands.js';
export { defineScript, runScript, type LuaScript } from './lua-script.js';
