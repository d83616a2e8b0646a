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
}
