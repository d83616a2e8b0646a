// The worker's face of src/cost: nothing here loads the price library (see primary.ts).
export * from './call-usage.js';
export * from './price-book.js';
export type { PriceTable, PriceTerm, PriceVariant, UnitPrice } from './price-table.js';
