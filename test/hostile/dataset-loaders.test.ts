// Malformed Parquet ends in a parse error that says what is broken, within a bounded time.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadParquet, parquetStallMs } from "../../src/scanners/datasets/loaders/parquet";
import { scanPaths, tempDir } from "./helpers";

const IRIS = readFileSync(join(__dirname, "../../fixtures/datasets/loaders/iris.parquet"));
const without = (pos: number): Buffer => Buffer.concat([IRIS.subarray(0, pos), IRIS.subarray(pos + 1)]);

describe("malformed Parquet", () => {
  it("one byte deleted in a page header: hyparquet never settles; the reader is stopped and the file is a parse error", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "cut.parquet"), without(150));
    const started = Date.now();
    const report = await scanPaths([dir], dir);
    expect(Date.now() - started).toBeLessThan(parquetStallMs(IRIS.length) + 20_000);
    const errors = report.findings.filter((f) => f.ruleId === "aigis/parse-error");
    expect(errors.map((f) => f.message)).toEqual([expect.stringMatching(/^cut\.parquet could not be read as parquet dataset: Parquet could not be read: the reader made no progress for \d+ s/)]);
  }, 90_000);

  it("internal reader errors become what is broken in the file", async () => {
    const dir = tempDir();
    // Deleting byte 3400 (in the footer) makes hyparquet fail with "metadata.field_2.map is not a function".
    writeFileSync(join(dir, "footer.parquet"), without(3400));
    const err = await loadParquet(join(dir, "footer.parquet"), {}, { maxInMemoryBytes: 1 << 30 }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(err).toBe("Parquet could not be read: the footer metadata is malformed (a field is missing, of the wrong type or out of range)");
    expect(err).not.toMatch(/is not a function|Cannot read properties|undefined/);
  });

  it("hyparquet's own descriptive errors are kept", async () => {
    const dir = tempDir();
    const bad = Buffer.from(IRIS);
    bad.fill(0xff, bad.length - 4);
    writeFileSync(join(dir, "magic.parquet"), bad);
    await expect(loadParquet(join(dir, "magic.parquet"), {}, { maxInMemoryBytes: 1 << 30 })).rejects.toThrow(/footer != PAR1/);
  });
});
