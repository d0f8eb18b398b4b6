// Evidence and gate costs on a large estate, as ratios against JSON.stringify of the same
// report measured in the same run: SARIF and HTML rendering, merging 8 shards, baseline
// comparison, suppression matching and line hashing. Inputs are generated in memory.
// Run: node dist/bench/evidence.js [findings]
import { applyBaseline } from "../src/core/baseline";
import { loadCatalog } from "../src/core/catalog";
import { mergeReports } from "../src/core/merge";
import { shardOf } from "../src/core/shard";
import { summarise } from "../src/core/summary";
import { applySuppressions, parseSuppressions } from "../src/core/suppressions";
import { buildEvidence } from "../src/compliance/evidence";
import { toHtml } from "../src/reporters/html";
import { lineHashes } from "../src/reporters/line-hash";
import { toSarif } from "../src/reporters/sarif";
import type { Finding, Report, Target } from "../src/types";
import { median } from "./_util";

const FINDINGS = Number(process.argv[2] ?? 25_000);
const catalog = loadCatalog();
const rules = [...catalog.rules.values()];

function hex(i: number, len: number): string {
  return i.toString(16).padStart(len, "0").slice(-len);
}

function makeReport(n: number): Report {
  const targets: Target[] = Array.from({ length: Math.ceil(n / 5) }, (_, i) => ({ uri: `models/team-${i % 50}/m-${i}.pt`, kind: "pytorch-zip", bytes: 1000 + i, sha256: hex(i, 64) }));
  const findings: Finding[] = Array.from({ length: n }, (_, i) => {
    const rule = rules[i % rules.length]!;
    return { ruleId: rule.id, severity: rule.severity, message: `Finding ${i} in ${targets[i % targets.length]!.uri}.`, location: { uri: targets[i % targets.length]!.uri, member: "archive/data.pkl", offset: i }, controls: rule.controls, fingerprint: hex(i * 2654435761, 32) };
  });
  return { schemaVersion: 1, tool: { name: "aigis", version: "bench" }, targets, findings, probes: [], summary: summarise(findings) };
}

function time(fn: () => unknown, runs = 3): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(xs);
}

const report = makeReport(FINDINGS);
const shards = Array.from({ length: 8 }, (_, s) => {
  const targets = report.targets.filter((t) => shardOf(t.uri, 8) === s + 1);
  const uris = new Set(targets.map((t) => t.uri));
  const findings = report.findings.filter((f) => uris.has(f.location.uri));
  return { ...report, targets, findings, summary: summarise(findings) };
});
const previous = { ...report, findings: report.findings.filter((_, i) => i % 10 !== 0) };
const suppressions = parseSuppressions(
  `suppressions:\n${Array.from({ length: 50 }, (_, i) => `  - path: "models/team-${i}/**"\n    rule: ${rules[i % rules.length]!.id}\n    justification: Accepted for the benchmark.\n`).join("")}`,
  "bench.yaml",
);
const text = Array.from({ length: 20_000 }, (_, i) => `  line ${i}: { "Effect": "Allow", "Action": "s3:GetObject" }`).join("\n");

const base = time(() => JSON.stringify(report));
const rows: Array<[string, number]> = [
  ["JSON.stringify (baseline)", base],
  ["SARIF (toSarif + stringify)", time(() => JSON.stringify(toSarif(report, catalog)))],
  ["HTML evidence (assess + render)", time(() => toHtml(buildEvidence(report, catalog), catalog))],
  ["merge 8 shards", time(() => mergeReports(shards))],
  ["baseline comparison", time(() => applyBaseline(report.findings, previous))],
  ["suppressions (50 entries)", time(() => applySuppressions(report.findings, suppressions, "2026-01-01"))],
];
const lineHash = time(() => lineHashes(text));

console.log(`${FINDINGS} findings over ${report.targets.length} targets, ${rules.length} rules; JSON report ${(JSON.stringify(report).length / 1e6).toFixed(1)} MB`);
for (const [name, s] of rows) console.log(`${name.padEnd(34)} ${(s * 1000).toFixed(1).padStart(8)} ms  ${(s / base).toFixed(2).padStart(6)}x`);
console.log(`${"line hashes, 20,000-line file".padEnd(34)} ${(lineHash * 1000).toFixed(1).padStart(8)} ms  (${((text.length / 1e6) / lineHash).toFixed(1)} MB/s)`);
