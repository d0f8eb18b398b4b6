// A custom scanner registered through the public API (library option, config and --plugin)
// gives the same findings in the main thread and in worker threads: the registry reaches the
// workers by module path instead of being replaced there.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../src/core/run";
import { createRegistry, registryWithPlugins } from "../../src/core/registry";
import { SCANNERS } from "../../src/scanners";
import type { Report } from "../../src/types";

const ROOT = join(__dirname, "..", "..");
const PLUGIN = join(ROOT, "fixtures", "plugins", "marker-scanner.js");
const CLI = join(ROOT, "dist", "bin", "aigis.js");

function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), "aigis-plugin-"));
  for (let i = 0; i < 8; i++) {
    writeFileSync(join(dir, `notes-${i}.txt`), i % 2 === 0 ? `line one\nDO-NOT-SHIP: draft ${i}\nlast\n` : `nothing here ${i}\n`);
  }
  return dir;
}

const custom = (r: Report): Array<{ uri: string; message: string; fingerprint: string; severity: string }> =>
  r.findings.filter((f) => f.ruleId === "custom/do-not-ship").map((f) => ({ uri: f.location.uri, message: f.message, fingerprint: f.fingerprint, severity: f.severity }));

describe("custom scanner plugins", () => {
  it("runs through the library API with its own rule and catalogue entry, and records facts", async () => {
    const dir = corpus();
    const { report, catalog } = await runScan({ paths: ["."], cwd: dir, jobs: 1, plugins: [PLUGIN] });
    expect(custom(report)).toHaveLength(4);
    expect(custom(report)[0]).toMatchObject({ severity: "high", message: "Line 2 is marked DO-NOT-SHIP (draft 0)." });
    expect(catalog.rules.get("custom/do-not-ship")?.controls).toEqual(["AIRMF-MEASURE-2.7"]);
    expect(report.targets.every((t) => t.assessment?.assessed.includes("custom/do-not-ship"))).toBe(true);
  });

  it("is portable to worker threads only when every scanner is a module path", () => {
    expect(registryWithPlugins([PLUGIN]).spec?.scanners.at(-1)).toBe(PLUGIN);
    // A scanner given as an object cannot cross the thread boundary: the pool keeps to the main thread.
    expect(createRegistry([...SCANNERS]).spec).toBeUndefined();
  });

  it("gives the same findings with --jobs 1 and --jobs 4, and the workers load it", () => {
    expect(existsSync(CLI)).toBe(true); // npm test compiles dist/ before jest runs
    const dir = corpus();
    const trace = join(dir, ".trace");
    mkdirSync(trace);
    writeFileSync(join(dir, ".aigisignore"), ".trace/\n*.json\n");
    const run = (jobs: number): Report => {
      const out = join(dir, `r${jobs}.json`);
      execFileSync(process.execPath, [CLI, "scan", ".", "--plugin", PLUGIN, "--jobs", String(jobs), "-f", "json", "-o", out, "--fail-on", "none", "-q"], { cwd: dir, env: { ...process.env, AIGIS_PLUGIN_TRACE: trace } });
      return JSON.parse(readFileSync(out, "utf8")) as Report;
    };
    const one = run(1);
    const before = new Set(readdirSync(trace));
    const four = run(4);
    const loadedByWorkers = readdirSync(trace).filter((f) => !before.has(f) && f.startsWith("loaded-worker-"));
    expect(loadedByWorkers.length).toBeGreaterThanOrEqual(2);
    expect(custom(one)).toHaveLength(4);
    expect(custom(four)).toEqual(custom(one));
    expect(four.findings.map((f) => f.fingerprint).sort()).toEqual(one.findings.map((f) => f.fingerprint).sort());
    expect(four.targets.map((t) => t.assessment)).toEqual(one.targets.map((t) => t.assessment));
  });

  it("fails the run with a clear usage error when a plugin cannot be loaded", async () => {
    await expect(runScan({ paths: ["."], cwd: corpus(), plugins: ["./missing-scanner.js"] })).rejects.toThrow(/cannot load scanner module .*missing-scanner\.js/);
  });
});
