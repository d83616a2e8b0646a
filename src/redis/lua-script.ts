import { createHash } from 'node:crypto';
import type { RedisCommands } from './redis-commands.js';

/**
 * A Lua script run atomically on the server. Each script lives in its own file whose header names
 * its KEYS and ARGV; `defineScript` computes the digest once so calls send only the SHA1.
 */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export function defineScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * EVALSHA, falling back to EVAL when the server does not have the script cached (first use, or a
 * Redis that restarted empty). One round trip in the common case.
 */
export async function runScript(redis: RedisCommands, script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error | null)?.message ?? '').startsWith('NOSCRIPT')) throw error;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
