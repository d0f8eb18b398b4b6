// aigis does not scan its own reports: a second `aigis scan .` would otherwise report the first
// run's findings (masked personal data, rule texts) as content. Recognised by content, not name:
// the first bytes of a JSON report, a SARIF log or a markdown summary as aigis writes them.

import { closeSync, openSync, readSync } from "node:fs";

const HEAD = 1024;

const SIGNATURES: Array<[string, RegExp]> = [
  ["aigis JSON report", /^\s*\{\s*"schemaVersion"\s*:\s*\d+\s*,\s*"tool"\s*:\s*\{\s*"name"\s*:\s*"aigis"/],
  ["aigis SARIF log", /^\s*\{\s*"\$schema"\s*:\s*"[^"]*sarif[^"]*"\s*,\s*"version"\s*:\s*"2\.1\.0"\s*,\s*"runs"\s*:\s*\[\s*\{\s*"tool"\s*:\s*\{\s*"driver"\s*:\s*\{\s*"name"\s*:\s*"aigis"/],
  ["aigis markdown summary", /^## aigis scan: (no findings|\d+ findings?)\n/],
];

/** What aigis report the bytes start with, or undefined. */
export function ownReportKind(head: Buffer): string | undefined {
  const text = head.subarray(0, HEAD).toString("utf8");
  for (const [kind, re] of SIGNATURES) if (re.test(text)) return kind;
  return undefined;
}

/** Reads the first bytes of a file and says whether it is an aigis report; unreadable files are left to the scan. */
export function ownReportKindOfFile(absPath: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(absPath, "r");
    const buf = Buffer.alloc(HEAD);
    const n = readSync(fd, buf, 0, HEAD, 0);
    return ownReportKind(buf.subarray(0, n));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
