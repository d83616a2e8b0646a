// Part of `npm run build` (after tsc): bundles the worker into dist/bundle/ with esbuild. A
// worker then loads one script instead of ~300 module files (its boot time was mostly module
// loading: figures in docs/benchmarks.md). The primary forks dist/bundle/worker.cjs when it
// exists; tsc's dist/ stays what the primary, the tests' imports and the benches run.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/bundle', { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // import() of a built-in (node:https, only with TLS) becomes require(): the bundle runs in a vm.Script.
  supported: { 'dynamic-import': false },
  // The sources are ESM and locate files next to themselves (config/demo.yaml, package.json,
  // lazily required packages) from import.meta.url; in the bundle that is the bundle's own URL,
  // two folders below the package root as dist/<folder>/<file>.js is.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
};
// undici's HTTP/2 client loads node:http2 (~20 ms of a worker's boot) when the client module
// loads; it is only used for an upstream that negotiates h2 with allowH2 on, which Switchyard's
// pools never set (providers/http-pool.ts). The bundle carries a stub that says so instead.
const noHttp2 = {
  name: 'no-undici-http2',
  setup(b) {
    b.onLoad({ filter: /undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/ }, () => ({
      contents: "module.exports = function connectH2 () { throw new Error('HTTP/2 to upstreams is not enabled in Switchyard') }",
      loader: 'js',
    }));
  },
};
// Google's auth library (Vertex AI tokens) is loaded by a worker only on its first Vertex token
// (providers/vertex/vertex-auth.ts): left out of the bundle, it is required from node_modules then,
// so that workers of every other config neither parse nor hold it (npm run bench:google-auth).
// The price library (@pydantic/genai-prices, ~15 MB resident once loaded) is the primary's alone: it
// resolves each deployment's price once and sends plain data to the workers (src/cost/primary.ts).
// External here so that a worker import of it by mistake stays out of the bundle (and shows in
// test/integration/worker-prices.test.ts, which checks that no worker loads it).
await build({ ...common, entryPoints: { 'worker-app': 'src/cli/worker-entry.ts' }, outdir: 'dist/bundle', plugins: [noHttp2], external: ['google-auth-library', '@pydantic/genai-prices'] });
await build({ ...common, entryPoints: { worker: 'src/cli/worker-loader.ts' }, outdir: 'dist/bundle', sourcemap: false });
