/** Every default the gateway applies, in one place. */
export const CONFIG_DEFAULTS = {
  maxRequestSizeMb: 32,
  requestTimeoutSeconds: 600,
  routingStrategy: 'simple-shuffle',
  numRetries: 2,
  allowedFails: 3,
  cooldownSeconds: 5,
  maxRetryAfterSeconds: 60,
  healthCheckIntervalSeconds: 300,
  healthCheckDetails: true,
  sharedHealthCheckTtlSeconds: 300,
  sharedHealthCheckLockTtlSeconds: 60,
  healthCheckTimeoutSeconds: 60,
  healthCheckMaxTokens: 16,
  redisPort: 6379,
  redisNamespace: 'switchyard',
  modelMode: 'chat',
} as const;
