import { join, resolve } from "node:path";
import { runScan, type ScanOptions } from "../../../src/core/run";
import type { Report } from "../../../src/types";

export const ROOT = resolve(__dirname, "../../..");
export const FIXTURES = "fixtures/protection";
export const fixture = (...parts: string[]): string => join(ROOT, FIXTURES, ...parts);
export const ANCHORS = [`${FIXTURES}/pki/root-ca.pem`, `${FIXTURES}/pki/model-signing.pub.pem`];

export async function scan(paths: string[], extra: Partial<ScanOptions> = {}): Promise<Report> {
  const { report } = await runScan({ paths, cwd: ROOT, jobs: 1, ...extra });
  return report;
}

export function target(report: Report, uri: string): Report["targets"][number] {
  const t = report.targets.find((x) => x.uri === uri);
  if (!t) throw new Error(`no target ${uri} in ${report.targets.map((x) => x.uri).join(", ")}`);
  return t;
}
