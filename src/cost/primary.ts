// The primary's face of src/cost: resolving prices with the price library (~15 MB of data once
// loaded). Only the primary (cli/run-primary.ts) imports this; a worker gets the resolved plain
// prices over IPC, and scripts/bundle-worker.mjs keeps the library out of the worker bundle.
export { LibraryModel, priceTable, splitModelName } from './library-price.js';
export { OVERRIDE_KEYS, resolvePrices } from './price-resolution.js';
export { unpricedWarning } from './unpriced-warnings.js';
