// Personal data never reaches an output raw: not in cells, not in column names, not in label values.
// Personal-data detection is linear in the size of a cell.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadCatalog } from "../../src/core/catalog";
import { FORMATS, render } from "../../src/reporters";
import { PiiDetector, maskPersonalData } from "../../src/scanners/datasets/analysis/pii";
import { scanPaths, tempDir } from "./helpers";

const EMAIL = "jane.roe@example.com";
const CARD = "4111111111111111";
const PHONE = "+44 20 7946 0958";

describe("personal data in names and labels", () => {
  it("masks column names and label values in every finding and every output format", async () => {
    const dir = tempDir();
    // Column named after an e-mail address, labels that are card numbers and phone numbers;
    // an odd row flips its label so label-noise and duplicate rules quote label values.
    const rows = [`x,${EMAIL},label`];
    for (let i = 0; i < 60; i++) {
      const label = i % 2 === 0 ? CARD : PHONE;
      rows.push(`${i % 2 === 0 ? 0.1 * (i % 7) : 5 + 0.1 * (i % 7)},${i % 2 === 0 ? 1 : 9},${label}`);
    }
    rows.push(`0.1,1,${PHONE}`); // a row among the CARD class labelled PHONE
    rows.push(`0.1,1,${PHONE}`);
    writeFileSync(join(dir, "train.csv"), rows.join("\n") + "\n");
    const report = await scanPaths([dir], dir, { hints: { labelColumn: "label" } });
    const dataset = report.findings.filter((f) => f.ruleId.startsWith("dataset/"));
    expect(dataset.length).toBeGreaterThan(0);
    // Some finding quotes the column or a label: masked.
    expect(JSON.stringify(dataset)).toMatch(/j\*+@\*\*\*\.com|\*{12}1111|\*+58/);
    for (const format of FORMATS) {
      const out = render(format, report, { catalog: loadCatalog(), color: false });
      for (const raw of [EMAIL, CARD, PHONE, "4111 1111", "jane.roe"]) expect({ format, leaked: out.includes(raw) }).toEqual({ format, leaked: false });
    }
  });

  it("masks personal data inside a longer name and leaves other text alone", () => {
    const d = new PiiDetector([]);
    expect(maskPersonalData(`col ${EMAIL} x`, d)).toBe("col j******@***.com x");
    expect(maskPersonalData("label 7", d)).toBe("label 7");
  });
});

describe("personal-data detection is linear", () => {
  it("an 8 MiB cell of e-mail addresses takes about as long per byte as a 1 MiB one", () => {
    const d = new PiiDetector([]);
    const cell = (bytes: number): string => {
      const parts: string[] = [];
      let n = 0;
      for (let i = 0; n < bytes; i++) {
        const a = `user${i}@example${i % 97}.com`;
        parts.push(a);
        n += a.length + 1;
      }
      return parts.join(" ");
    };
    const time = (s: string): number => {
      const t = process.hrtime.bigint();
      const hits = d.detect(s);
      expect(hits.length).toBeGreaterThan(1000);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const small = cell(1024 * 1024);
    const big = cell(8 * 1024 * 1024);
    time(small); // warm up the regular expressions
    // Best of two, so a garbage collection or a busy machine does not decide the ratio.
    const ratio = Math.min(time(big), time(big)) / Math.max(1, Math.min(time(small), time(small)));
    // 8x the bytes: linear is about 8x; the quadratic blanking was about 64x.
    expect(ratio).toBeLessThan(24);
  });
});
