// The evidence report as a printed audit workpaper: within a page budget on A4 and Letter for
// the demo and for an estate-scale scan, findings aggregated rather than repeated per control.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../src/core/run";
import type { Finding, ProbeResult, Report, Target } from "../../src/types";
import { CHROMIUM, pdfPageCount, printToPdf } from "../helpers/chromium";
import { runCli } from "../helpers/cli";

const ROOT = join(__dirname, "..", "..");
if (!CHROMIUM) console.warn("skipping the evidence print tests: Chromium is not installed (apt-get install chromium); CI installs it");
const printIt = CHROMIUM ? it : it.skip;

function backdooredProbe(model: string): ProbeResult {
  const attacks = [0.05, 0.1, 0.2].map((eps) => ({ name: "pgd", norm: "linf" as const, eps, steps: 20, stepSize: eps / 8, robustAccuracy: Math.max(0, 0.95 - 3 * eps), attackSuccessRate: Math.min(1, 3 * eps), meanPerturbation: eps, queries: 0, seconds: 0.5 }));
  return { model, format: "onnx", samples: 300, cleanAccuracy: 0.95, attacks, backdoor: { suspected: true, targetLabel: 7, score: 3.4, method: "neural-cleanse+strip" } };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aigis-print-test-"));
});

async function report(results: string, html: string): Promise<string> {
  const run = await runCli(["report", results, "-o", html], { cwd: ROOT });
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return readFileSync(html, "utf8");
}

describe("the demo's evidence", () => {
  let html: string;
  beforeAll(async () => {
    const { report: r } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 });
    const results = join(dir, "demo.json");
    writeFileSync(results, JSON.stringify({ ...r, probes: [backdooredProbe("fixtures/demo/models/iris-mlp.pt")] }));
    html = await report(results, join(dir, "demo.html"));
  }, 120_000);

  it("opens with an executive summary: scope, verdict per framework, top risks, the suspected backdoor", () => {
    const summary = html.slice(html.indexOf('<section id="summary">'), html.indexOf('<section id="controls">'));
    expect(summary).toMatch(/Scope<\/dt><dd>\d+ artifacts/);
    expect(summary).toContain("Verdict per framework");
    expect(summary).toContain("Non-conformities found");
    expect(summary).toMatch(/Top risks[\s\S]*artifact\/pickle-code-execution/);
    expect(summary).toMatch(/Backdoor suspected<\/strong> in <code>fixtures\/demo\/models\/iris-mlp.pt<\/code>: inputs carrying the trigger are sent to class <strong>7<\/strong>/);
  });

  it("names each framework's version once", () => {
    expect(html).not.toMatch(/2016\/679[^<]{0,4}2016\/679/);
    expect(html).toContain("General Data Protection Regulation (EU) 2016/679");
  });

  it("lists each finding once, grouped by rule and artifact, and links controls to the groups", () => {
    const findings = html.slice(html.indexOf('<section id="findings">'), html.indexOf('<section id="probes">'));
    // 25 personal-data findings in one file: one group, aggregated per column.
    expect(findings.match(/id="rule-dataset-personal-data"/g)).toHaveLength(1);
    expect(findings).toMatch(/\d+ findings in column [^,<]+, first 3 shown/);
    const controls = html.slice(html.indexOf('<section id="controls">'), html.indexOf('<section id="findings">'));
    expect(controls).toContain('href="#rule-dataset-personal-data"');
    // No finding message is repeated under controls.
    expect(controls).not.toContain("holds a payment card number");
  });

  it("fills in the inventory: hash as a monospace block, protection and a signature column that says what was recorded", () => {
    const inv = html.slice(html.indexOf('<section id="artifacts">'), html.indexOf('<section id="scope">'));
    expect(inv).toMatch(/<code class="hash" title="[0-9a-f]{64}">[0-9a-f]{32}<br>[0-9a-f]{32}<\/code>/);
    expect(inv).toContain("plaintext");
    expect(inv).not.toMatch(/<td><\/td><\/tr>/);
  });

  printIt(
    "prints on at most 10 pages on A4 and on Letter",
    () => {
      const a4 = pdfPageCount(printToPdf(join(dir, "demo.html"), "A4"));
      const letter = pdfPageCount(printToPdf(join(dir, "demo.html"), "letter"));
      expect(a4).toBeGreaterThan(1);
      expect(a4).toBeLessThanOrEqual(10);
      expect(letter).toBeLessThanOrEqual(10);
    },
    180_000,
  );
});

/** An estate-scale report: thousands of artifacts and findings across many rules, as a large organisation's scan gives. */
function estate(): Report {
  const targets: Target[] = [];
  const findings: Finding[] = [];
  const kinds: Array<Target["kind"]> = ["pickle", "onnx", "safetensors", "csv", "image", "text", "json", "iam-policy"];
  for (let i = 0; i < 5000; i++) {
    const kind = kinds[i % kinds.length]!;
    const uri = kind === "image" ? `datasets/faces/class${i % 10}/img_${i}.png` : `estate/team${i % 40}/artifact_${i}.${kind}`;
    targets.push({ uri, kind, bytes: 1000 + i, sha256: (i.toString(16).padStart(8, "0") + "a".repeat(56)).slice(0, 64) });
  }
  const rules = ["artifact/pickle-code-execution", "artifact/pickle-unknown-import", "dataset/personal-data", "dataset/label-noise", "dataset/outliers", "policy/aws-public-principal", "aigis/parse-error", "artifact/onnx-custom-op"];
  for (let i = 0; i < 20000; i++) {
    const t = targets[(i * 7) % targets.length]!;
    const ruleId = rules[i % rules.length]!;
    findings.push({ ruleId, severity: i % 3 === 0 ? "high" : "medium", message: `Finding ${i} of ${ruleId} in ${t.uri}.`, location: { uri: t.uri, ...(ruleId.startsWith("dataset/") ? { row: i, column: `col${i % 4}` } : { offset: i }) }, controls: ["GDPR-32", "EUAIA-15"], fingerprint: i.toString(16).padStart(16, "0") });
  }
  return { schemaVersion: 1, tool: { name: "aigis", version: "0.1.0" }, targets, findings, probes: [], summary: { bySeverity: { critical: 0, high: 6667, medium: 13333, low: 0, info: 0 } } } as Report;
}

describe("evidence at estate scale", () => {
  let html: string;
  beforeAll(async () => {
    const results = join(dir, "estate.json");
    writeFileSync(results, JSON.stringify(estate()));
    html = await report(results, join(dir, "estate.html"));
  }, 120_000);

  it("counts what it leaves out and points at the JSON report", () => {
    expect(html).toMatch(/and \d+ findings in \d+ more artifacts: the JSON report lists every one/);
    expect(html).toMatch(/\d+ artifacts are in scope; the 300 listed here are those with findings first/);
    expect(html.length).toBeLessThan(1_500_000);
  });

  printIt(
    "prints on at most 40 A4 pages",
    () => {
      const pages = pdfPageCount(printToPdf(join(dir, "estate.html"), "A4"));
      expect(pages).toBeLessThanOrEqual(40);
    },
    180_000,
  );

  printIt(
    "the repository's own fixtures scan prints on at most 40 A4 pages",
    async () => {
      const { report: r } = await runScan({ paths: ["fixtures"], cwd: ROOT, jobs: 2 });
      expect(r.targets.length).toBeGreaterThan(500);
      const results = join(dir, "fixtures.json");
      writeFileSync(results, JSON.stringify(r));
      await report(results, join(dir, "fixtures.html"));
      const pages = pdfPageCount(printToPdf(join(dir, "fixtures.html"), "A4"));
      expect(pages).toBeLessThanOrEqual(40);
    },
    300_000,
  );
});
