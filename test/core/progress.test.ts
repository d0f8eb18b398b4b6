// Scan progress is measured in bytes across the whole scan and moves inside a long file.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { runScan } from "../../src/core/run";

describe("scan progress", () => {
  it("counts bytes, moves inside a long file, and ends at the total", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-progress-"));
    writeFileSync(join(dir, "big.bin"), randomBytes(24 * 1024 * 1024)); // hashed in 1 MiB chunks
    writeFileSync(join(dir, "small.json"), '{"a": 1}\n');
    const calls: Array<{ done: number; total: number; files: number }> = [];
    await runScan({ paths: ["."], cwd: dir, jobs: 1, onProgress: (done, total, files) => calls.push({ done, total, files: files.done }) });
    const total = 24 * 1024 * 1024 + 9;
    expect(calls.every((c) => c.total === total)).toBe(true);
    // Inside big.bin, before any file is done: partial progress strictly between 0 and its size.
    const inside = calls.filter((c) => c.files === 0 && c.done > 0 && c.done < 24 * 1024 * 1024);
    expect(inside.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.done).toBeGreaterThanOrEqual(calls[i - 1]!.done - 1e-6);
    expect(calls[calls.length - 1]).toEqual({ done: total, total, files: 2 });
  });
});
