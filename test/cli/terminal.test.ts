// The terminal contract: one-line errors, the summary line, --verbose, AIGIS_* variables, and
// settings that name something that does not exist stopping the run with exit 2.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli";

const ROOT = join(__dirname, "..", "..");

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "aigis-terminal-"));
  writeFileSync(join(dir, "train.csv"), "a,b,label\n1,2,x\n3,4,y\n5,6,x\n");
  writeFileSync(join(dir, "evil.pkl"), readFileSync(join(ROOT, "fixtures/demo/models/evil-model.pkl")));
  return dir;
}

describe("aigis errors", () => {
  it("reports commander's parse errors on one line with the aigis: error: prefix", async () => {
    for (const args of [["scan", "--bogus"], ["nosuchcommand"], ["scan", "--fail-on"], ["probe"]]) {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^aigis: error: [^\n]+\n$/);
    }
  });

  it("exits 2 when --format and --output disagree", async () => {
    const dir = folder();
    const r = await runCli(["scan", "train.csv", "-f", "json", "-f", "sarif", "-o", "a.json"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^aigis: error: --format sarif is paired with --output a.json, whose extension says json/);
  });

  it("exits 2 for an unknown rule id in the config, with a did-you-mean", async () => {
    const dir = folder();
    writeFileSync(join(dir, "aigis.config.json"), JSON.stringify({ rules: { "dataset/personal-dat": "off", "artifact/pickle-code-execution": "high" } }));
    const r = await runCli(["scan", "train.csv"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown rule id");
    expect(r.stderr).toContain("'dataset/personal-dat' (did you mean 'dataset/personal-data'?)");
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("exits 2 for a label or text column a dataset does not have, naming its columns", async () => {
    const dir = folder();
    for (const flag of ["--label-column", "--text-column"]) {
      const r = await runCli(["scan", "train.csv", flag, "nope"], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`aigis: error: ${flag} 'nope' is not a column of train.csv (columns: a, b, label)\n`);
    }
    expect((await runCli(["scan", "train.csv", "--label-column", "label", "--fail-on", "none"], { cwd: dir })).code).toBe(0);
  });

  it("exits 2 for a probe label column the data does not have", async () => {
    const r = await runCli(["probe", "fixtures/models/mlp.onnx", "--data", "fixtures/models/digits_test.csv", "--label-column", "nope", "-q"], { cwd: ROOT });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^aigis: error: [^\n]*fixtures\/models\/digits_test.csv[^\n]*no column 'nope' \(columns: p0, p1, [^\n]+\)\n$/);
  });
});

describe("aigis scan on the terminal", () => {
  it("prints one summary line on stderr naming what it wrote, and nothing with -q", async () => {
    const dir = folder();
    const r = await runCli(["scan", ".", "-o", "aigis.sarif", "--fail-on", "none"], { cwd: dir, tty: true });
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/aigis: scanned 2 files \([\d.]+ (B|KiB)\) in [\d.]+ s; \d+ findings \(\d+ critical, \d+ high, \d+ medium, \d+ low, \d+ info\); wrote aigis\.sarif\.\n$/);
    const quiet = await runCli(["scan", ".", "-o", "again.sarif", "-q", "--fail-on", "none"], { cwd: dir, tty: true });
    expect(quiet.stderr).toBe("");
  });

  it("does not scan its own earlier reports, whatever their names", async () => {
    const dir = folder();
    const first = await runCli(["scan", ".", "-f", "sarif", "-o", "first.log", "-f", "json", "-o", "first.data", "-f", "markdown", "-o", "first.notes", "--fail-on", "none"], { cwd: dir });
    expect(first.code).toBe(0);
    const second = await runCli(["scan", ".", "-f", "json", "-o", "second.json", "--verbose", "--fail-on", "none"], { cwd: dir });
    const report = JSON.parse(readFileSync(join(dir, "second.json"), "utf8")) as { targets: Array<{ uri: string }> };
    expect(report.targets.map((t) => t.uri).sort()).toEqual(["evil.pkl", "train.csv"]);
    expect(second.stderr).toContain("aigis: skipped first.log: aigis-report (aigis SARIF log)");
    expect(second.stderr).toContain("aigis: skipped first.data: aigis-report (aigis JSON report)");
    expect(second.stderr).toContain("aigis: skipped first.notes: aigis-report (aigis markdown summary)");
    expect(second.stderr).toMatch(/aigis: scanned train\.csv \(csv, \d+ B\): \d+ findings?\n/);
  });

  it("takes common flags from AIGIS_* variables, flags winning", async () => {
    const dir = folder();
    expect((await runCli(["scan", "evil.pkl", "-q"], { cwd: dir, env: { AIGIS_FAIL_ON: "none" } })).code).toBe(0);
    expect((await runCli(["scan", "evil.pkl", "-q", "--fail-on", "critical"], { cwd: dir, env: { AIGIS_FAIL_ON: "none" } })).code).toBe(1);
    expect((await runCli(["scan", "evil.pkl"], { cwd: dir, env: { AIGIS_FAIL_ON: "none", AIGIS_QUIET: "1" } })).stdout).toBe("");
    const bad = await runCli(["scan", "evil.pkl"], { cwd: dir, env: { AIGIS_QUIET: "maybe" } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("aigis: error: AIGIS_QUIET=maybe: use 1 or 0\n");
    const label = await runCli(["scan", "train.csv", "-q"], { cwd: dir, env: { AIGIS_LABEL_COLUMN: "nope" } });
    expect(label.code).toBe(2);
  });
});
