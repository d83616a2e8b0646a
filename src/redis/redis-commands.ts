/**
 * The Redis commands Switchyard uses, and nothing else: a small surface that is easy to reason
 * about (every call is bounded by the connection's command timeout) and easy to grow on purpose.
 * ioredis' client satisfies it; a new use adds its command here first.
 */
export interface RedisCommands {
  /** Runs a cached script by its SHA1 digest; fails with NOSCRIPT when the server does not know it. */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: Array<string | number>): Promise<unknown>;
  /** Runs a script by its source (and caches it on the server for later EVALSHA calls). */
  eval(script: string, numKeys: number, ...keysAndArgs: Array<string | number>): Promise<unknown>;
  ping(): Promise<string>;
  /** One key (a stored Responses API answer). */
  get(key: string): Promise<string | null>;
  /** Removes keys; answers how many existed (a stored answer deleted by its client). */
  del(...keys: string[]): Promise<number>;
  /** Several keys read atomically (the health lock and results; the turns of a stored conversation). */
  mget(...keys: string[]): Promise<Array<string | null>>;
  /** SET with an expiry in ms (health check results). */
  set(key: string, value: string, px: 'PX', ms: number): Promise<'OK'>;
  /** SET … PX … NX: null when the key exists (the health check lock). */
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
  /** Tells subscribed hosts something happened; answers how many subscribers received it. */
  publish(channel: string, message: string): Promise<number>;
}
