#!/usr/bin/env node
// Thin entry point: hand argv to the CLI and set the exit code. Nothing else.
import { main } from "../src/cli";

// Output piped into `head` closes early: stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

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
    process.stderr.write(`aigis: error: internal error: ${String(e)}\n`);
    process.exitCode = 2;
  },
);
