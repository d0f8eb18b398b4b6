import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../src/core/run";
import { parseSuppressions } from "../../src/core/suppressions";
import type { ProbeResult, Report } from "../../src/types";
import { formatAjvErrors, schemaValidator } from "../../src/core/catalog";
import { runCli } from "../helpers/cli";

const ROOT = join(__dirname, "..", "..");
const CHROMIUM = "/usr/bin/chromium";

/** A probe result as aigis probe writes it: robust accuracy falling with eps for two attacks. */
function probe(): ProbeResult {
  const attacks = [0.01, 0.03, 0.1, 0.3].flatMap((eps) => [
    { name: "pgd", norm: "linf" as const, eps, steps: 20, stepSize: eps / 8, robustAccuracy: Math.max(0, 0.97 - 3 * eps), attackSuccessRate: Math.min(1, 3 * eps), meanPerturbation: eps, queries: 0, seconds: 0.4 },
    { name: "fgsm", norm: "linf" as const, eps, robustAccuracy: Math.max(0, 0.97 - 2 * eps), attackSuccessRate: Math.min(1, 2 * eps), meanPerturbation: eps, queries: 0, seconds: 0.1 },
  ]);
  return { model: "models/classifier.onnx", format: "onnx", samples: 200, cleanAccuracy: 0.97, attacks, backdoor: { suspected: false, score: 1.1, method: "activation-clustering" } };
}

let dir: string;
let html: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aigis-evidence-"));
  const suppressions = parseSuppressions(
    "suppressions:\n  - rule: artifact/pickle-code-execution\n    path: fixtures/demo/models/trojaned-checkpoint.pt\n    justification: Red-team sample <kept> on purpose; never loaded.\n    author: security@example.com\n    expires: 2099-12-31\n",
    ".aigis-suppressions.yaml",
  );
  const { report } = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1, suppressions });
  const withProbe: Report = { ...report, probes: [probe()] };
  writeFileSync(join(dir, "results.json"), JSON.stringify(withProbe));
  const run = await runCli(["report", join(dir, "results.json"), "-o", join(dir, "evidence.html"), "-o", join(dir, "evidence.md"), "-o", join(dir, "evidence.json"), "--framework", "gdpr,eu-ai-act,owasp-ml-top10"], { cwd: ROOT });
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  html = readFileSync(join(dir, "evidence.html"), "utf8");
});

describe("aigis report", () => {
  it("writes one self-contained HTML file: no scripts, no external resources", () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/\ssrc=/i);
    expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none'`);
    // The only absolute URLs are links a reader may click and the SVG namespace.
    const urls = html.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
    for (const u of urls) expect(html.includes(`href="${u}"`) || u === "http://www.w3.org/2000/svg").toBe(true);
    expect(html).toContain("@media print");
  });

  it("has every section an auditor needs", () => {
    for (const id of ["summary", "controls", "findings", "accepted-risks", "probes", "artifacts", "scope"]) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain("Red-team sample &lt;kept&gt; on purpose");
    expect(html).toContain("2099-12-31");
    expect(html).toMatch(/<svg[^>]*aria-label="Robust accuracy versus eps: models\/classifier.onnx"/);
    expect(html).toMatch(/[0-9a-f]{64}/);
    expect(html).not.toContain("California Consumer Privacy Act");
  });

  it("writes markdown and JSON evidence with the same statuses", () => {
    const json = JSON.parse(readFileSync(join(dir, "evidence.json"), "utf8")) as { kind: string; frameworks: Array<{ id: string; controls: Array<{ id: string; status: string; acceptedRisks: string[] }> }>; acceptedRisks: Array<{ justification: string }> };
    expect(json.kind).toBe("aigis-evidence");
    const validate = schemaValidator("evidence");
    expect(validate(json) ? [] : formatAjvErrors(validate.errors)).toEqual([]);
    expect(validate({ ...json, frameworks: [{ ...json.frameworks[0], controls: [{ id: "X", status: "ok" }] }] })).toBe(false);
    expect(json.frameworks.map((f) => f.id)).toEqual(["gdpr", "eu-ai-act", "owasp-ml-top10"]);
    const gdpr32 = json.frameworks[0]!.controls.find((c) => c.id === "GDPR-32")!;
    expect(gdpr32.status).toBe("failed");
    expect(gdpr32.acceptedRisks).toHaveLength(1);
    expect(json.acceptedRisks[0]!.justification).toMatch(/^Red-team sample/);
    const md = readFileSync(join(dir, "evidence.md"), "utf8");
    expect(md).toContain("| **GDPR-32** Art. 32 Security of processing | ❌ failed |");
    expect(md).toContain("## Accepted risks");
  });

  it("is what aigis scan --format html writes too", async () => {
    const run = await runCli(["scan", "fixtures/demo/models", "-f", "html", "--fail-on", "none", "-j", "1"], { cwd: ROOT });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^<!DOCTYPE html>/);
    for (const id of ["summary", "controls", "artifacts", "scope"]) expect(run.stdout).toContain(`<section id="${id}">`);
    expect(run.stdout.replace(/<wbr>/g, "")).toContain("fixtures/demo/models/evil-model.pkl");
  });

  it("rejects unknown frameworks and formats with exit 2", async () => {
    expect((await runCli(["report", join(dir, "results.json"), "--framework", "sox"], { cwd: ROOT })).code).toBe(2);
    expect((await runCli(["report", join(dir, "results.json"), "--format", "sarif"], { cwd: ROOT })).code).toBe(2);
    expect((await runCli(["report", join(dir, "nope.json")], { cwd: ROOT })).code).toBe(2);
  });
});

const chromiumIt = existsSync(CHROMIUM) ? it : it.skip;
if (!existsSync(CHROMIUM)) console.warn(`skipping the browser rendering test: ${CHROMIUM} is absent (apt-get install chromium)`);

describe("rendering in a real browser", () => {
  chromiumIt(
    "loads from file:// in headless Chromium, screenshots, prints, and shows every section",
    () => {
      const page = `file://${join(dir, "evidence.html")}`;
      const flags = (profile: string): string[] => ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-sync", "--disable-component-update", `--user-data-dir=${mkdtempSync(join(tmpdir(), profile))}`];
      const opts = { encoding: "utf8" as const, timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] as Array<"ignore" | "pipe"> };
      const dom = execFileSync(CHROMIUM, [...flags("aigis-chr-dom-"), "--dump-dom", page], opts);
      for (const id of ["summary", "controls", "findings", "accepted-risks", "probes", "artifacts", "scope"]) expect(dom).toContain(`<section id="${id}">`);
      expect(dom).toContain("Robust accuracy versus eps");
      const png = join(dir, "evidence.png");
      execFileSync(CHROMIUM, [...flags("aigis-chr-png-"), "--window-size=1280,2400", `--screenshot=${png}`, page], opts);
      expect(readFileSync(png).subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
      expect(statSync(png).size).toBeGreaterThan(50_000);
      const pdf = join(dir, "evidence.pdf");
      execFileSync(CHROMIUM, [...flags("aigis-chr-pdf-"), "--no-pdf-header-footer", `--print-to-pdf=${pdf}`, page], opts);
      expect(readFileSync(pdf).subarray(0, 5).toString()).toBe("%PDF-");
    },
    120_000,
  );
});
