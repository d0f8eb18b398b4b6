// Shared by the hostile-input regression tests: scan a folder in-process and look at the report.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan, type ScanOptions } from "../../src/core/run";
import type { Finding, Report } from "../../src/types";

export function tempDir(prefix = "aigis-hostile-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function scanPaths(paths: string[], cwd: string, extra: Partial<ScanOptions> = {}): Promise<Report> {
  const { report } = await runScan({ paths, cwd, jobs: 1, ...extra });
  return report;
}

export function rulesOf(findings: ReadonlyArray<Finding>): string[] {
  return [...new Set(findings.map((f) => f.ruleId))].sort();
}

/** A pickle that would run `touch <canary>` when loaded: GLOBAL os.system, one string argument, REDUCE. */
export function osSystemCall(canary: string): Buffer {
  const cmd = Buffer.from(`touch ${canary}`);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(cmd.length);
  return Buffer.concat([Buffer.from("cos\nsystem\n", "latin1"), Buffer.from("X"), len, cmd, Buffer.from([0x85, 0x52])]);
}
