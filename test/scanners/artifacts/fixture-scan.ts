// Scans fixtures/artifacts through the real pipeline; shared by the fixture tests.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Finding, Report } from "../../../src/types";
import { runScan } from "../../../src/core/run";

export const FIXTURES = resolve(__dirname, "../../../fixtures/artifacts");

export interface Manifest {
  malicious: Record<string, string>;
  benign: Record<string, string>;
}

export function manifest(): Manifest {
  return JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8")) as Manifest;
}

let cached: Promise<Report> | undefined;
/** One scan of the whole fixture folder, shared by every test in a file. */
export function scanFixtures(): Promise<Report> {
  cached ??= runScan({ paths: ["malicious", "benign"], cwd: FIXTURES, jobs: 1 }).then((r) => r.report);
  return cached;
}

export function findingsFor(report: Report, uri: string): Finding[] {
  return report.findings.filter((f) => f.location.uri === uri);
}
