// runScan needs no `cwd`: paths, report URIs, config and suppressions files resolve against
// process.cwd(), in the calling thread and in worker threads alike.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runScan } from "../../src/core/run";
import { osSystemCall } from "../hostile/helpers";
import { tempDir } from "../helpers/temp";

const ROOT = join(__dirname, "..", "..");
const DIST_INDEX = join(ROOT, "dist", "src", "index.js");

describe("runScan without cwd", () => {
  it("gives the same report as with cwd set to process.cwd()", async () => {
    expect(process.cwd()).toBe(ROOT);
    const without = await runScan({ paths: ["fixtures/demo"], jobs: 1 });
    const withCwd = await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 });
    expect(without.report.findings.length).toBeGreaterThan(0);
    expect(without.report.findings.map((f) => [f.ruleId, f.location.uri, f.fingerprint])).toEqual(withCwd.report.findings.map((f) => [f.ruleId, f.location.uri, f.fingerprint]));
    expect(without.report.targets.every((t) => t.uri.startsWith("fixtures/demo/"))).toBe(true);
  });

  it("resolves relative paths against the caller's working folder, with worker threads (built library)", () => {
    if (!existsSync(DIST_INDEX)) throw new Error(`${DIST_INDEX} is missing: run npm run build (npm test does)`);
    const dir = tempDir("aigis-nocwd-");
    writeFileSync(join(dir, "evil.pkl"), Buffer.concat([Buffer.from([0x80, 0x02]), osSystemCall(join(dir, "canary")), Buffer.from(".")]));
    writeFileSync(join(dir, "notes.txt"), "hello\n");
    const script = `require(${JSON.stringify(DIST_INDEX)}).runScan({ paths: ["."], jobs: 2 }).then(({ report }) => process.stdout.write(JSON.stringify(report.findings.map((f) => [f.ruleId, f.location.uri]))));`;
    const findings = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8" })) as Array<[string, string]>;
    expect(findings).toContainEqual(["artifact/pickle-code-execution", "evil.pkl"]);
    expect(existsSync(join(dir, "canary"))).toBe(false);
  });
});
