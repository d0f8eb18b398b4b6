import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli";
import { reportSchemaErrors, sarifSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "..", "..");
const DEMO = join(ROOT, "fixtures", "demo");
const tmp = (): string => mkdtempSync(join(tmpdir(), "aigis-cli-"));

describe("aigis scan exit codes", () => {
  it("exits 1 when a finding is at or above --fail-on (default high)", async () => {
    const r = await runCli(["scan", "fixtures/demo/models/evil-model.pkl"], { cwd: ROOT });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("CRITICAL artifact/pickle-code-execution");
  });

  it("exits 0 when nothing reaches the gate", async () => {
    expect((await runCli(["scan", "fixtures/demo/models/iris-mlp.pt", "fixtures/demo/models/iris-pipeline.pkl"], { cwd: ROOT })).code).toBe(0);
    // A custom class is high (allow-list first) but not critical.
    expect((await runCli(["scan", "fixtures/demo/models/custom-class.pkl", "--fail-on", "critical"], { cwd: ROOT })).code).toBe(0);
    expect((await runCli(["scan", "fixtures/demo/models/custom-class.pkl"], { cwd: ROOT })).code).toBe(1);
    expect((await runCli(["scan", "fixtures/demo", "--fail-on", "none"], { cwd: ROOT })).code).toBe(0);
  });

  it.each([
    [["scan", "no/such/path"], /path not found: no\/such\/path/],
    [["scan", "fixtures/demo", "--format", "pdf"], /unknown format 'pdf'/],
    [["scan", "fixtures/demo", "--fail-on", "severe"], /invalid --fail-on 'severe'/],
    [["scan", "fixtures/demo", "--output", "report.xyz"], /cannot tell the format of --output report.xyz/],
    [["scan", "fixtures/demo", "--format", "json", "--format", "sarif"], /only one format can go to standard output/],
    [["scan", "fixtures/demo", "--config", "missing.json"], /config file not found/],
    [["scan", "fixtures/demo", "--max-file-size", "lots"], /invalid size/],
    [["scan", "--no-such-flag"], /unknown option/],
    [["explain", "artifact/nope"], /unknown rule 'artifact\/nope'/],
    [["rules", "--framework", "hipaa"], /unknown framework 'hipaa'/],
  ])("exits 2 with a one-line error for %j", async (args, message) => {
    const r = await runCli(args, { cwd: ROOT });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")[0]).toMatch(message);
  });

  it("reports every config error at once and exits 2", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "aigis.config.json"),
      JSON.stringify({
        failOn: "severe",
        limits: { maxFileSize: "huge" },
        rules: { "artifact/x": "loud" },
        extra: 1,
        scanners: { artifacts: { pickleAllow: 5 }, datasets: { maxRows: 0 }, nosuch: {} },
      }),
    );
    const r = await runCli(["scan", DEMO], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config .*aigis\.config\.json is invalid \((\d+) errors\)/);
    for (const part of ["/failOn", "/limits/maxFileSize", "/rules/artifact~1x", "extra", "/scanners/artifacts/pickleAllow", "/scanners/datasets/maxRows", "nosuch"]) {
      expect(r.stderr).toContain(part);
    }
  });

  it("applies a YAML config: rule overrides, excludes and failOn", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "aigis.config.yaml"), "failOn: medium\nexclude:\n  - '*.csv'\nrules:\n  artifact/pickle-unknown-import: 'off'\n");
    const r = await runCli(["scan", join(DEMO, "models", "custom-class.pkl"), join(DEMO, "data"), "--format", "json"], { cwd: dir });
    const report = JSON.parse(r.stdout) as { findings: Array<{ ruleId: string }>; targets: unknown[] };
    expect(report.findings.map((f) => f.ruleId)).not.toContain("artifact/pickle-unknown-import");
    expect(report.targets).toHaveLength(1);
    expect(r.code).toBe(0);
  });
});

describe("aigis scan outputs", () => {
  it("pairs each --format with its --output and lets the extension decide alone", async () => {
    const dir = tmp();
    const r = await runCli(
      ["scan", DEMO, "--format", "text", "--format", "sarif", "--output", join(dir, "r.sarif"), "--format", "json", "--output", join(dir, "r.json"), "--output", join(dir, "r.md"), "--fail-on", "none"],
      { cwd: ROOT },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("aigis: scanned");
    expect(sarifSchemaErrors(JSON.parse(readFileSync(join(dir, "r.sarif"), "utf8")))).toEqual([]);
    expect(reportSchemaErrors(JSON.parse(readFileSync(join(dir, "r.json"), "utf8")))).toEqual([]);
    expect(readFileSync(join(dir, "r.md"), "utf8")).toMatch(/^## aigis scan/);
  });

  it("--quiet drops the text summary but still writes files", async () => {
    const dir = tmp();
    const r = await runCli(["scan", DEMO, "--quiet", "--output", join(dir, "r.json")], { cwd: ROOT });
    expect(r.stdout).toBe("");
    expect(existsSync(join(dir, "r.json"))).toBe(true);
    expect(r.code).toBe(1);
  });

  it("draws a byte-based progress bar on a TTY, moving inside a long file, and none with --quiet, --no-progress or off a TTY", async () => {
    const args = ["scan", "fixtures/demo/data/churn-training.csv", "--fail-on", "none"];
    const tty = await runCli(args, { cwd: ROOT, tty: true });
    expect(tty.stderr).toMatch(/scanning \[#*-*\] \d+% [\d.]+ (B|KiB)\/[\d.]+ (B|KiB) 0\/1 files/);
    expect(tty.stderr).toMatch(/scanning \[#{30}\] 100% [\d.]+ (B|KiB)\/[\d.]+ (B|KiB) 1\/1 files/);
    expect((await runCli([...args, "--quiet"], { cwd: ROOT, tty: true })).stderr).toBe("");
    expect((await runCli([...args, "--no-progress"], { cwd: ROOT, tty: true })).stderr).not.toContain("scanning [");
    // Off a terminal: no bar, only the summary line.
    expect((await runCli(args, { cwd: ROOT, tty: false })).stderr).toMatch(/^aigis: scanned 1 file \([\d.]+ (B|KiB)\) in [\d.]+ s; \d+ findings \(.*\)\.\n$/);
  });

  it("colours only on a TTY and respects NO_COLOR", async () => {
    const args = ["scan", "fixtures/demo/models/evil-model.pkl"];
    expect((await runCli(args, { cwd: ROOT, tty: true })).stdout).toContain("\x1b[");
    expect((await runCli(args, { cwd: ROOT, tty: true, env: { NO_COLOR: "1" } })).stdout).not.toContain("\x1b[");
    expect((await runCli(args, { cwd: ROOT, tty: false })).stdout).not.toContain("\x1b[");
  });
});

describe("aigis rules and explain", () => {
  it("lists the catalogue, filtered by framework", async () => {
    const all = await runCli(["rules"]);
    expect(all.stdout).toMatch(/artifact\/pickle-code-execution\s+critical/);
    const gdpr = await runCli(["rules", "--framework", "gdpr", "--format", "json"]);
    const rules = JSON.parse(gdpr.stdout) as Array<{ id: string; controls: string[]; rationale: Record<string, string> }>;
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) for (const c of r.controls) expect(c).toMatch(/^GDPR-/);
    // Each listed control with its reviewed rationale, and no rationale for controls filtered out.
    for (const r of rules) expect(Object.keys(r.rationale).sort()).toEqual([...r.controls].sort());
    expect(rules.find((r) => r.id === "protection/world-writable")?.rationale["GDPR-32"]).toMatch(/integrity of the processing system/);
    expect(rules.map((r) => r.id)).toContain("artifact/pickle-code-execution");
  });

  it("explains a rule from its docs page", async () => {
    const r = await runCli(["explain", "artifact/pickle-code-execution"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("How to fix");
  });
});

describe("the installed binary", () => {
  const bin = join(ROOT, "dist", "bin", "aigis.js");
  it("prints help and version and sets the exit code", () => {
    expect(execFileSync("node", [bin, "--help"], { encoding: "utf8" })).toContain("Usage: aigis");
    expect(execFileSync("node", [bin, "--version"], { encoding: "utf8" }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const scan = spawnSync("node", [bin, "scan", join(DEMO, "models", "evil-model.pkl"), "--quiet"], { encoding: "utf8" });
    expect(scan.status).toBe(1);
    const bad = spawnSync("node", [bin, "scan", "/no/such/path"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("aigis: error: path not found: /no/such/path");
  });

  it("keeps onnxruntime's own log lines out of a quiet probe", () => {
    // torch.onnx.export(keep_initializers_as_inputs=True) lists the weights as graph inputs, which
    // onnxruntime warns about on its own stderr unless its log level is raised.
    const model = join(ROOT, "fixtures", "models", "standard", "heldout_exports", "initializers_as_inputs_op9.onnx");
    const probe = spawnSync("node", [bin, "probe", model, "--data", join(ROOT, "fixtures", "models", "digits_test.csv"), "--samples", "10", "--attack", "fgsm", "--eps", "0.1", "--fail-on", "none", "--quiet", "--format", "json"], { encoding: "utf8" });
    expect(probe.stderr).toBe("");
    expect(probe.status).toBe(0);
    expect((JSON.parse(probe.stdout) as { probes: Array<{ whiteBox: boolean }> }).probes[0]!.whiteBox).toBe(true);
  }, 60000);
});
