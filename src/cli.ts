#!/usr/bin/env node
import { main } from './cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    // The primary resolves when it is done supervising; workers keep running (undefined).
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`switchyard: fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
