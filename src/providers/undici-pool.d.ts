// undici's Pool class on its own (http-pool.ts): undici publishes no types for this path.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
