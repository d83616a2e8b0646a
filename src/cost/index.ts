export * from './call-usage.js';
export * from './price-book.js';
export { PRICE_LIBRARY } from './library-price.js';
export * from './unpriced-warnings.js';
