#!/usr/bin/env node
// Thin entry point: hand argv to the CLI and set the exit code. Nothing else.
import { main } from "../src/cli";

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`aigis: internal error: ${String(e)}\n`);
    process.exitCode = 2;
  },
);
