// What the CLI needs from its process, injected so commands are testable in-process.
export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Set by a command: 0 clean, 1 findings at or above the gate, 2 usage/config/I-O error. */
export interface CommandOutcome {
  exitCode: number;
}
