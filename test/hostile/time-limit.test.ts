// limits.maxScanSeconds: a file whose scan runs past the limit is stopped in its worker and
// reported as aigis/limit-exceeded; the files after it are still scanned.
import { existsSync, openSync, closeSync, ftruncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discover } from "../../src/core/discover";
import { scanAll } from "../../src/core/pool";
import { createRegistry } from "../../src/core/registry";
import { buildSettings } from "../../src/core/run";
import { SCANNERS } from "../../src/scanners";
import { osSystemCall, tempDir } from "./helpers";

// The pool's workers run compiled code: `npm test` builds dist/ before jest runs.
const WORKER = join(__dirname, "../../dist/src/core/worker.js");

(existsSync(WORKER) ? describe : describe.skip)("per-file time limit", () => {
  it("stops a scan past maxScanSeconds with aigis/limit-exceeded and goes on with the next file", async () => {
    const dir = tempDir();
    // 8 GiB, sparse: hashing it alone takes far longer than the limit.
    const fd = openSync(join(dir, "a-huge.bin"), "w");
    ftruncateSync(fd, 8 * 1024 ** 3);
    closeSync(fd);
    writeFileSync(join(dir, "b-evil.pkl"), Buffer.concat([Buffer.from([0x80, 0x02]), osSystemCall("/tmp/aigis-hostile-time-canary"), Buffer.from(".")]));
    const settings = buildSettings({ paths: [dir], cwd: dir, config: { limits: { maxScanSeconds: 2 } } });
    const { files } = await discover([dir], { cwd: dir, maxFileSize: settings.limits.maxFileSize });
    const started = Date.now();
    const results = await scanAll(files, settings, createRegistry(SCANNERS), 1, undefined, { workerScript: WORKER });
    expect(Date.now() - started).toBeLessThan(30_000);
    const huge = results.find((r) => r.target.uri === "a-huge.bin")!;
    expect(huge.findings.map((f) => [f.ruleId, f.evidence?.["limit"]])).toEqual([["aigis/limit-exceeded", "maxScanSeconds"]]);
    expect(huge.findings[0]!.message).toMatch(/took longer than the time limit of 2 seconds/);
    const evil = results.find((r) => r.target.uri === "b-evil.pkl")!;
    expect(evil.findings.map((f) => f.ruleId)).toContain("artifact/pickle-code-execution");
  }, 60_000);
});
