// Runnable example of docs/api.md: scan a folder with the library API and a custom scanner,
// print one SARIF log. Run from the package root after `npm run build`:
//   node docs/examples/api-scan.js fixtures/demo
"use strict";
const { runScan } = require("aigis");
const { render } = require("aigis/reporters");

async function main() {
  const folder = process.argv[2] ?? ".";
  // No cwd needed: paths and report URIs are relative to process.cwd().
  const { report, catalog } = await runScan({ paths: [folder], jobs: 2, plugins: [require.resolve("../../fixtures/plugins/marker-scanner.js")] });
  const sarif = render("sarif", report, { catalog });
  const counts = report.summary.bySeverity;
  process.stdout.write(JSON.stringify({ schemaVersion: report.schemaVersion, targets: report.targets.length, findings: report.findings.length, critical: counts.critical, sarifRuns: JSON.parse(sarif).runs.length }) + "\n");
}
main().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exitCode = 2;
});
