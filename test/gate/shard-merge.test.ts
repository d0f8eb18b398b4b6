import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseShard, shardKey, shardOf } from "../../src/core/shard";
import { UsageError } from "../../src/core/errors";
import { runScan } from "../../src/core/run";
import type { Report } from "../../src/types";
import { runCli } from "../helpers/cli";
import { reportSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "..", "..");

describe("--shard", () => {
  it("parses I/N and rejects the rest", () => {
    expect(parseShard("2/8")).toEqual({ index: 2, count: 8 });
    for (const bad of ["0/3", "4/3", "1/0", "a/b", "3"]) expect(() => parseShard(bad)).toThrow(UsageError);
  });

  it("keeps a file and its sidecars together and spreads files evenly", () => {
    expect(shardKey("models/m.pt.sig")).toBe(shardKey("models/m.pt"));
    expect(shardKey("models/.hidden")).toBe("models/.hidden");
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) counts[shardOf(`data/file-${i}.bin`, 4) - 1]!++;
    for (const c of counts) expect(c).toBeGreaterThan(70);
  });

  it("covers every file exactly once, and adding files moves no other file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-shard-files-"));
    const assign = async (): Promise<Map<string, number>> => {
      const where = new Map<string, number>();
      for (let i = 1; i <= 3; i++) {
        const { report } = await runScan({ paths: [dir], cwd: dir, jobs: 1, shard: { index: i, count: 3 } });
        for (const t of report.targets) {
          expect(where.has(t.uri)).toBe(false);
          where.set(t.uri, i);
        }
      }
      return where;
    };
    for (let i = 0; i < 15; i++) writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`);
    const before = await assign();
    expect(before.size).toBe(15);
    for (let i = 15; i < 20; i++) writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`);
    const after = await assign();
    expect(after.size).toBe(20);
    for (const [uri, shard] of before) expect(after.get(uri)).toBe(shard);
  });
});

describe("aigis merge", () => {
  it("merged shards equal the unsharded scan (findings and targets)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-shards-"));
    const n = 3;
    for (let i = 1; i <= n; i++) {
      const r = await runCli(["scan", "fixtures/demo", "--shard", `${i}/${n}`, "-o", join(dir, `s${i}.json`), "-q", "--fail-on", "none", "-j", "1"], { cwd: ROOT });
      expect(r.code).toBe(0);
    }
    const full = await runCli(["scan", "fixtures/demo", "-o", join(dir, "full.json"), "-q", "--fail-on", "none", "-j", "1"], { cwd: ROOT });
    expect(full.code).toBe(0);
    const shards = [1, 2, 3].map((i) => JSON.parse(readFileSync(join(dir, `s${i}.json`), "utf8")) as Report);
    expect(shards.filter((s) => s.targets.length > 0).length).toBeGreaterThan(1);
    expect(shards.reduce((a, s) => a + s.targets.length, 0)).toBe((JSON.parse(readFileSync(join(dir, "full.json"), "utf8")) as Report).targets.length);

    const merged = await runCli(["merge", ...[1, 2, 3].map((i) => join(dir, `s${i}.json`)), "-o", join(dir, "all.json"), "-o", join(dir, "all.sarif"), "--fail-on", "critical"], { cwd: ROOT });
    expect(merged.code).toBe(1);
    expect(merged.stderr).toBe("");
    const all = JSON.parse(readFileSync(join(dir, "all.json"), "utf8")) as Report;
    const unsharded = JSON.parse(readFileSync(join(dir, "full.json"), "utf8")) as Report;
    expect(reportSchemaErrors(all)).toEqual([]);
    expect(all.findings).toEqual(unsharded.findings);
    expect(all.targets).toEqual(unsharded.targets);
    expect(all.summary).toEqual(unsharded.summary);
    expect(all.invocation!.shard).toBeUndefined();
    const sarif = JSON.parse(readFileSync(join(dir, "all.sarif"), "utf8")) as { runs: Array<{ results: unknown[] }> };
    expect(sarif.runs[0]!.results).toHaveLength(unsharded.findings.length);

    const missing = await runCli(["merge", join(dir, "s1.json"), join(dir, "s2.json"), "-o", join(dir, "part.json"), "--fail-on", "none"], { cwd: ROOT });
    expect(missing.stderr).toContain("shard 3 of 3 missing");
  });
});
