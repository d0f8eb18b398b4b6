import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyBaseline } from "../../src/core/baseline";
import { loadCatalog } from "../../src/core/catalog";
import { parseReport } from "../../src/core/load-report";
import { runScan } from "../../src/core/run";
import { toSarif } from "../../src/reporters";
import type { Finding, Report } from "../../src/types";
import { runCli } from "../helpers/cli";
import { reportSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "..", "..");

function f(fingerprint: string, message = "m.", severity: Finding["severity"] = "high"): Finding {
  return { ruleId: "artifact/pickle-code-execution", severity, message, location: { uri: "m.pkl" }, controls: ["GDPR-32"], fingerprint };
}

describe("applyBaseline", () => {
  it("marks new, unchanged, updated and absent by fingerprint", () => {
    const before = { findings: [f("a".repeat(32)), f("b".repeat(32)), f("c".repeat(32)), { ...f("d".repeat(32)), baselineState: "absent" as const }] } as Report;
    const now = [f("a".repeat(32)), f("b".repeat(32), "m.", "critical"), f("e".repeat(32))];
    const out = applyBaseline(now, before);
    expect(out.map((x) => [x.fingerprint[0], x.baselineState])).toEqual([
      ["a", "unchanged"],
      ["b", "updated"],
      ["e", "new"],
      ["c", "absent"],
    ]);
  });
});

describe("--baseline and --fail-on-new", () => {
  let dir: string;
  let previous: Report;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "aigis-baseline-"));
    // The previous release had only the pickle with the custom class: its findings are old.
    ({ report: previous } = await runScan({ paths: ["fixtures/demo/models/custom-class.pkl", "fixtures/demo/models/evil-model.pkl"], cwd: ROOT, jobs: 1 }));
    writeFileSync(join(dir, "prev.json"), JSON.stringify(previous));
    writeFileSync(join(dir, "prev.sarif"), JSON.stringify(toSarif(previous, loadCatalog())));
  });

  it.each(["prev.json", "prev.sarif"])("reads a %s baseline back with the same fingerprints", (name) => {
    const back = parseReport(readFileSync(join(dir, name), "utf8"), name);
    expect(back.findings.map((x) => [x.fingerprint, x.ruleId, x.severity, x.location])).toEqual(previous.findings.map((x) => [x.fingerprint, x.ruleId, x.severity, x.location]));
  });

  it("sets baselineState in JSON and SARIF, and gates only on new findings", async () => {
    const args = ["scan", "fixtures/demo/models", "-q", "--baseline", join(dir, "prev.sarif"), "-o", join(dir, "now.json"), "-o", join(dir, "now.sarif")];
    const all = await runCli([...args, "--fail-on", "critical"], { cwd: ROOT });
    expect(all.code).toBe(1);
    const json = JSON.parse(readFileSync(join(dir, "now.json"), "utf8")) as Report;
    expect(reportSchemaErrors(json)).toEqual([]);
    const states = new Map(json.findings.map((x) => [x.location.uri + (x.location.member ?? ""), x.baselineState]));
    expect(states.get("fixtures/demo/models/evil-model.pkl")).toBe("unchanged");
    expect(states.get("fixtures/demo/models/trojaned-checkpoint.ptarchive/data.pkl")).toBe("new");
    expect(json.summary.new).toBe(json.findings.filter((x) => x.baselineState === "new").length);
    const sarif = JSON.parse(readFileSync(join(dir, "now.sarif"), "utf8")) as { runs: Array<{ results: Array<{ baselineState?: string }> }> };
    expect(sarif.runs[0]!.results.every((r) => ["new", "unchanged", "updated", "absent"].includes(r.baselineState ?? ""))).toBe(true);

    // The one critical that is new (trojaned checkpoint) fails --fail-on-new at critical...
    expect((await runCli([...args, "--fail-on", "critical", "--fail-on-new"], { cwd: ROOT })).code).toBe(1);
    // ...and with the checkpoint in the baseline too, only old criticals remain: the gate passes.
    const withCheckpoint = await runCli(["scan", "fixtures/demo/models", "-q", "-o", join(dir, "prev2.json"), "--fail-on", "none"], { cwd: ROOT });
    expect(withCheckpoint.code).toBe(0);
    const again = await runCli(["scan", "fixtures/demo/models", "-q", "--baseline", join(dir, "prev2.json"), "--fail-on", "info", "--fail-on-new"], { cwd: ROOT });
    expect(again.code).toBe(0);
    expect((await runCli(["scan", "fixtures/demo/models", "-q", "--fail-on-new"], { cwd: ROOT })).code).toBe(2);
  });

  it("keeps findings that are gone as absent, never gated", async () => {
    const gone = { ...previous, findings: [...previous.findings, { ...f("f".repeat(32)), location: { uri: "fixtures/demo/models/removed.pkl" } }] };
    writeFileSync(join(dir, "prev3.json"), JSON.stringify(gone));
    const run = await runCli(["scan", "fixtures/demo/models/evil-model.pkl", "-q", "--baseline", join(dir, "prev3.json"), "-f", "json", "--fail-on", "info", "--fail-on-new"], { cwd: ROOT });
    const report = JSON.parse(run.stdout) as Report;
    const absent = report.findings.filter((x) => x.baselineState === "absent");
    expect(absent.map((x) => x.location.uri)).toEqual(expect.arrayContaining(["fixtures/demo/models/removed.pkl", "fixtures/demo/models/custom-class.pkl"]));
    expect(report.summary.absent).toBe(absent.length);
    expect(run.code).toBe(0);
    const dropped = await runCli(["scan", "fixtures/demo/models/evil-model.pkl", "-q", "--baseline", join(dir, "prev3.json"), "--no-absent", "-f", "json"], { cwd: ROOT });
    const kept = (JSON.parse(dropped.stdout) as Report).findings;
    expect(kept.length).toBe(report.findings.length - absent.length);
    expect(kept.some((x) => x.baselineState === "absent")).toBe(false);
  });
});
