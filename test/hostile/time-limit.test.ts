// limits.maxScanSeconds: a file whose scan runs past the limit is stopped in its worker and
// reported as aigis/limit-exceeded; the files after it are still scanned.
import { existsSync, openSync, closeSync, ftruncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discover } from "../../src/core/discover";
import type { scanAll as ScanAll } from "../../src/core/pool";
import type { builtinRegistry as BuiltinRegistry } from "../../src/core/registry";
import { buildSettings } from "../../src/core/run";
import { osSystemCall, tempDir } from "./helpers";

// The pool's workers run compiled code, and load the scanners by module path: the pool and
// registry come from dist/ too (`npm test` builds it before jest runs).
const DIST = join(__dirname, "../../dist/src");
const WORKER = join(DIST, "core/worker.js");

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
    const { scanAll } = require(join(DIST, "core/pool")) as { scanAll: typeof ScanAll };
    const { builtinRegistry } = require(join(DIST, "core/registry")) as { builtinRegistry: typeof BuiltinRegistry };
    const results = await scanAll(files, settings, builtinRegistry(), 1, undefined, { workerScript: WORKER });
    expect(Date.now() - started).toBeLessThan(30_000);
    const huge = results.find((r) => r.target.uri === "a-huge.bin")!;
    expect(huge.findings.map((f) => [f.ruleId, f.evidence?.["limit"]])).toEqual([["aigis/limit-exceeded", "maxScanSeconds"]]);
    expect(huge.findings[0]!.message).toMatch(/took longer than 2 seconds and was stopped/);
    const evil = results.find((r) => r.target.uri === "b-evil.pkl")!;
    expect(evil.findings.map((f) => f.ruleId)).toContain("artifact/pickle-code-execution");
  }, 60_000);
});
