import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import jpeg from "jpeg-js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { groupImageFolders, loadDataset, loadImageFolder, parseRecords, sniffDialect, type DatasetTable } from "../../../src/scanners/datasets/loaders";

const FIX = join(__dirname, "../../../fixtures/datasets");

function column(t: DatasetTable, j: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < t.rowCount; i++) out.push(t.features.data[i * t.features.cols + j]!);
  return out;
}

describe("CSV / TSV", () => {
  it("sniffs a semicolon delimiter and a header, and types the columns", async () => {
    const t = await loadDataset(join(FIX, "loaders/iris_semicolon.csv"));
    expect(t.format).toBe("csv");
    expect(t.rowCount).toBe(150);
    expect(t.features.cols).toBe(4);
    expect(t.features.names).toEqual(["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    expect(t.label?.name).toBe("species");
    expect(t.label?.classes).toEqual(["setosa", "versicolor", "virginica"]);
    expect(t.columns.map((c) => c.kind)).toEqual(["numeric", "numeric", "numeric", "numeric", "categorical"]);
    expect(column(t, 0).slice(0, 2)).toEqual([Math.fround(5.1), Math.fround(4.9)]);
  });

  it("refuses a hinted column the file lacks, naming the columns it has (no silent fallback)", async () => {
    await expect(loadDataset(join(FIX, "loaders/iris.jsonl"), { labelColumn: "no_such_column" })).rejects.toThrow(/no column 'no_such_column' \(columns: .*target/);
  });

  it("records the physical line of every row (header, quoted newlines)", async () => {
    const t = await loadDataset(join(FIX, "loaders/quoted.csv"));
    const text = require("node:fs").readFileSync(join(FIX, "loaders/quoted.csv"), "utf8") as string;
    expect(t.rowLines).toBeDefined();
    expect(t.rowLines!.length).toBe(t.rowCount);
    expect(t.rowLines![0]).toBe(2);
    for (let i = 1; i < t.rowCount; i++) expect(t.rowLines![i]).toBeGreaterThan(t.rowLines![i - 1]!);
    expect(t.rowLines![t.rowCount - 1]).toBeLessThanOrEqual(text.split("\n").length);
  });

  it("reads a TSV without header and takes the label from a hint", async () => {
    const t = await loadDataset(join(FIX, "loaders/iris_noheader.tsv"), { labelColumn: "column_4" });
    expect(t.format).toBe("tsv");
    expect(t.rowCount).toBe(150);
    expect(t.features.cols).toBe(4);
    expect(t.label?.classes).toEqual(["0", "1", "2"]);
  });

  it("keeps quoted delimiters, doubled quotes and newlines inside quotes", async () => {
    const t = await loadDataset(join(FIX, "loaders/quoted.csv"));
    expect(t.rowCount).toBe(4);
    const text = t.strings.get("text")!;
    expect(text[0]).toBe('He said "hello, world"');
    expect(text[1]).toBe("two\nlines, with comma");
    expect(text[2]).toBeNull();
    expect(t.columns.find((c) => c.name === "id")?.role).toBe("identifier");
    const score = t.columns.find((c) => c.name === "score")!;
    expect(score.missing).toBe(1);
    // The missing score takes the column mean.
    expect(column(t, 0)).toEqual([1.5, 2.5, (1.5 + 2.5 + 4) / 3, 4].map(Math.fround));
  });

  it("parses records split across chunk boundaries the same as whole", () => {
    const text = 'a,b\n1,"x\ny"\n2,"q""r"\n';
    const whole: string[][] = [];
    parseRecords(text, ",", true, (c) => whole.push(c));
    for (let cut = 1; cut < text.length; cut++) {
      const got: string[][] = [];
      const used = parseRecords(text.slice(0, cut), ",", false, (c) => got.push(c));
      parseRecords(text.slice(used), ",", true, (c) => got.push(c));
      expect(got).toEqual(whole);
    }
    expect(sniffDialect("x\ty\n1\t2\n3\t4\n")).toEqual({ delimiter: "\t", header: true });
  });

  it("streams every record to a visitor and honours maxRows", async () => {
    const seen: number[] = [];
    const t = await loadDataset(join(FIX, "loaders/iris_semicolon.csv"), {}, { maxInMemoryBytes: 1e9, maxRows: 20 }, { onRecord: (_c, row) => seen.push(row) });
    expect(t.rowCount).toBe(20);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(t.truncated?.rowsRead).toBe(20);
  });

  it("handles a file larger than one read chunk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-csv-"));
    const p = join(dir, "big.csv");
    const lines = ["f0,f1,label"];
    for (let i = 0; i < 300_000; i++) lines.push(`${i % 97},${(i * 7) % 13},${i % 3}`);
    writeFileSync(p, lines.join("\n"));
    const t = await loadDataset(p);
    expect(t.rowCount).toBe(300_000);
    expect(t.features.data[299_999 * 2]).toBe(299_999 % 97);
    expect(t.label?.codes[299_999]).toBe(t.label!.classes.indexOf(String(299_999 % 3)));
  });
});

describe("JSON Lines", () => {
  it("reads objects, numeric columns and a target label", async () => {
    const t = await loadDataset(join(FIX, "loaders/iris.jsonl"));
    expect(t.format).toBe("jsonl");
    expect(t.rowCount).toBe(150);
    expect(t.features.cols).toBe(4);
    expect(t.label?.name).toBe("target");
    expect(t.label?.classes).toEqual(["0", "1", "2"]);
  });
});

describe("Parquet", () => {
  it("reads every row group through hyparquet", async () => {
    const t = await loadDataset(join(FIX, "loaders/iris.parquet"));
    expect(t.format).toBe("parquet");
    expect(t.rowCount).toBe(150);
    expect(t.features.names).toEqual(["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    expect(t.label?.name).toBe("species");
    expect(t.label?.classes).toEqual(["setosa", "versicolor", "virginica"]);
    expect(column(t, 2)[149]).toBe(Math.fround(5.1));
  });
});

describe(".npy", () => {
  it("reads C-order float32 with a labels .npy found beside it", async () => {
    const t = await loadDataset(join(FIX, "loaders/digits_c.npy"));
    expect(t.format).toBe("npy");
    expect([t.rowCount, t.features.cols]).toEqual([300, 64]);
    expect(t.label?.codes.length).toBe(300);
    expect(t.label?.classes.slice(0, 3)).toEqual(["0", "1", "2"]);
  });

  it("reads Fortran-order big-endian int16 the same as C order, labels from a text file hint", async () => {
    const c = await loadDataset(join(FIX, "loaders/digits_c.npy"));
    const f = await loadDataset(join(FIX, "loaders/digits_f.npy"), { labels: join(FIX, "loaders/digits_f_labels.txt") });
    expect(Array.from(f.features.data)).toEqual(Array.from(c.features.data));
    expect(Array.from(f.label!.codes)).toEqual(Array.from(c.label!.codes));
  });

  it("keeps the image shape of (N, H, W) arrays", async () => {
    const t = await loadDataset(join(FIX, "loaders/digits_images.npy"));
    expect(t.imageShape).toEqual([8, 8, 1]);
    expect(t.features.names[9]).toBe("x1_y1_c0");
  });
});

describe("image folders", () => {
  it("decodes PNGs per class folder into grey pixels", async () => {
    const root = join(FIX, "images/digits_patch");
    const files = readdirSync(root).flatMap((cls) => readdirSync(join(root, cls)).map((f) => ({ absPath: join(root, cls, f), uri: `${cls}/${f}` })));
    const groups = groupImageFolders(files);
    expect([...groups.keys()]).toEqual([root]);
    const { table, failed } = await loadImageFolder(groups.get(root)!);
    expect(failed).toEqual([]);
    expect(table.rowCount).toBe(600);
    expect(table.imageShape).toEqual([8, 8, 1]);
    expect(table.label?.classes.sort()).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(table.rowUris?.length).toBe(600);
    const max = table.features.data.reduce((a, b) => Math.max(a, b), 0);
    expect(max).toBe(255);
  });

  it("stops decoding at the in-memory limit and records it", async () => {
    const root = join(FIX, "images/digits_patch");
    const files = readdirSync(root).flatMap((cls) => readdirSync(join(root, cls)).map((f) => ({ absPath: join(root, cls, f), uri: `${cls}/${f}` })));
    const { table } = await loadImageFolder(groupImageFolders(files).get(root)!, 100 * 8 * 8 * 4 * 2);
    expect(table.rowCount).toBe(101);
    expect(table.truncated?.rowsRead).toBe(101);
  });
});

describe("JPEG image folders", () => {
  it("decodes colour JPEGs, keeps three channels and resamples odd sizes", async () => {
    const root = mkdtempSync(join(tmpdir(), "aigis-jpeg-"));
    const files: Array<{ absPath: string; uri: string }> = [];
    for (const [cls, rgb] of [["red", [220, 30, 30]], ["blue", [30, 30, 220]]] as const) {
      mkdirSync(join(root, cls));
      for (let n = 0; n < 3; n++) {
        const size = n === 2 ? 8 : 4;
        const data = Buffer.alloc(size * size * 4);
        for (let p = 0; p < size * size; p++) data.set([...rgb, 255], p * 4);
        const path = join(root, cls, `${n}.jpg`);
        writeFileSync(path, jpeg.encode({ data, width: size, height: size }, 95).data);
        files.push({ absPath: path, uri: `${cls}/${n}.jpg` });
      }
    }
    const { table, failed } = await loadImageFolder(groupImageFolders(files).get(root)!);
    expect(failed).toEqual([]);
    expect(table.imageShape).toEqual([4, 4, 3]);
    expect(table.rowCount).toBe(6);
    const red = table.rowUris!.indexOf("red/2.jpg");
    const px = Array.from(table.features.data.subarray(red * 48, red * 48 + 3));
    expect(px[0]!).toBeGreaterThan(180);
    expect(px[2]!).toBeLessThan(80);
  });
});
