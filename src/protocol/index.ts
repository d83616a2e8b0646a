export * from './sse.js';
export * from './openai.js';
