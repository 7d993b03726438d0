#!/usr/bin/env node
import { runCli } from './program.js';
import { processIO } from './io.js';

runCli(process.argv.slice(2), processIO).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug, not a user mistake: show everything needed to fix it.
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`dp-canary: internal error (please report): ${detail}\n`);
    process.exitCode = 1;
  },
);
