// The command-line program. Returns an exit code; bin/aigis.ts hands it to the process.

import { Command, CommanderError } from "commander";
import { UsageError } from "../core/errors";
import { ownPackageJson } from "../core/package-info";
import type { CliIO, CommandOutcome } from "./io";

export async function main(argv: string[], io: CliIO): Promise<number> {
  // `aigis --version` answers before the commands, and the scanners they pull in, are loaded.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    io.stdout.write(`${ownPackageJson().version}\n`);
    return 0;
  }
  const { COMMANDS } = require("./commands") as typeof import("./commands");
  const { CatalogError } = require("../core/catalog") as typeof import("../core/catalog");
  const outcome: CommandOutcome = { exitCode: 0 };
  const program = new Command("aigis")
    .description("AI security and compliance scanner: model artifacts, datasets, adversarial probes, artifact protection and access policies, mapped to GDPR, CCPA and AI controls")
    .version(ownPackageJson().version, "-V, --version")
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(oneLineError(s)),
    })
    .exitOverride();
  program.addHelpText(
    "after",
    `
Examples:
  $ aigis scan models/ --format sarif --output aigis.sarif
  $ aigis rules --framework gdpr
  $ aigis explain artifact/pickle-code-execution

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage/config/I-O error.
Docs: docs/cli.md`,
  );
  for (const register of COMMANDS) register(program, io, outcome);
  // Subcommands inherit the error handling and output routing.
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: (s, write) => write(oneLineError(s, cmd.name())) });
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return outcome.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every parse error is a usage error.
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help" ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof CatalogError) {
      io.stderr.write(`aigis: error: ${e.message}\n`);
      return 2;
    }
    // One line like every other error; the stack only when asked for (AIGIS_DEBUG=1).
    const detail = e instanceof Error ? (io.env.AIGIS_DEBUG ? (e.stack ?? e.message) : e.message) : String(e);
    io.stderr.write(`aigis: error: internal error: ${detail.replace(/\s*\n\s*/g, io.env.AIGIS_DEBUG ? "\n" : " | ")}\n`);
    return 2;
  }
}

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line with aigis's prefix. */
export function oneLineError(message: string, command?: string): string {
  const text = message.replace(/^error:\s*/i, "").replace(/\s*\n\s*/g, " ").trim();
  return `aigis: error: ${text} (aigis ${command ? `${command} ` : ""}--help for usage)\n`;
}
