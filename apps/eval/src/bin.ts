#!/usr/bin/env node
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    // tfjs keeps handles open; the command is over once main returns.
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`dass-repro: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
