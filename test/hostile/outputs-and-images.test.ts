// Hostile names in outputs, hostile image headers, and a file with hundreds of thousands of findings.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { PNG } from "pngjs";
import { loadCatalog } from "../../src/core/catalog";
import { render } from "../../src/reporters";
import { markdownCode, visibleControls } from "../../src/reporters/safe-text";
import { pngDimensions } from "../../src/scanners/datasets/loaders/images";
import { osSystemCall, scanPaths, tempDir } from "./helpers";

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A tiny PNG whose header declares `width` x `height` (8-bit RGBA) over almost no data. */
function lyingPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk("IEND", Buffer.alloc(0))]);
}

describe("image headers are checked before anything is allocated", () => {
  it("a 2147483647 x 1 and a 1,000,000 x 1,000 PNG are parse errors, at once and without the memory", async () => {
    expect(lyingPng(2147483647, 1).length).toBeLessThan(80);
    expect(pngDimensions(lyingPng(1_000_000, 1000))).toEqual({ width: 1_000_000, height: 1000 });
    const dir = tempDir();
    for (const cls of ["cat", "dog"]) mkdirSync(join(dir, "imgs", cls), { recursive: true });
    writeFileSync(join(dir, "imgs/cat/wide.png"), lyingPng(2147483647, 1));
    writeFileSync(join(dir, "imgs/dog/huge.png"), lyingPng(1_000_000, 1000));
    const before = process.memoryUsage().rss;
    const report = await scanPaths([dir], dir);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
    const errors = report.findings.filter((f) => f.ruleId === "aigis/parse-error").map((f) => [f.location.uri, f.message]);
    expect(errors).toEqual(
      expect.arrayContaining([
        ["imgs/cat/wide.png", expect.stringMatching(/too large: 2147483647 x 1 pixels declared/)],
        ["imgs/dog/huge.png", expect.stringMatching(/too large: 1000000 x 1000 pixels declared/)],
      ]),
    );
  });

  it("a valid image still decodes beside a hostile one", async () => {
    const dir = tempDir();
    for (const cls of ["a", "b"]) mkdirSync(join(dir, cls), { recursive: true });
    const png = new PNG({ width: 4, height: 4 });
    png.data.fill(200);
    writeFileSync(join(dir, "a/ok.png"), PNG.sync.write(png));
    writeFileSync(join(dir, "b/ok.png"), PNG.sync.write(png));
    writeFileSync(join(dir, "b/bad.png"), lyingPng(0, 5));
    const report = await scanPaths([dir], dir);
    expect(report.findings.filter((f) => f.ruleId === "aigis/parse-error").map((f) => f.location.uri)).toEqual(["b/bad.png"]);
  });
});

describe("hostile file names in outputs", () => {
  it("escape sequences and newlines never reach the terminal raw; backticks do not break markdown", async () => {
    const dir = tempDir();
    const name = "evil`\x1b[2J\x1b]0;pwned\x07\nFAKE: clean\u202e.pkl";
    writeFileSync(join(dir, name), Buffer.concat([Buffer.from([0x80, 0x02]), osSystemCall("/tmp/aigis-hostile-name2"), Buffer.from(".")]));
    const report = await scanPaths([dir], dir);
    expect(report.findings.some((f) => f.ruleId === "artifact/pickle-code-execution")).toBe(true);
    const text = render("text", report, { catalog: loadCatalog(), color: true });
    // Only aigis's own colour codes (ESC [ digits ; m) remain.
    expect(text.replace(/\x1b\[[0-9;]*m/g, "")).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    expect(text).not.toContain("\nFAKE: clean");
    expect(text).toContain("evil`\\x1B[2J\\x1B]0;pwned\\x07\\nFAKE: clean\\u202E.pkl");
    const md = render("markdown", report, { catalog: loadCatalog(), color: false });
    expect(md).toContain("``evil`\\x1B[2J\\x1B]0;pwned\\x07\\nFAKE: clean\\u202E.pkl``");
    // The name stays inside its table row: one row per critical finding, no line break injected.
    expect(md.split("\n").filter((l) => l.startsWith("| 🟥 critical | ["))).toHaveLength(report.findings.filter((f) => f.severity === "critical").length);
  });

  it("code spans grow their fence past the longest backtick run", () => {
    expect(markdownCode("a``b")).toBe("```a``b```");
    expect(markdownCode("`x`")).toBe("`` `x` ``");
    expect(visibleControls("a\tb\x9bc")).toBe("a\\tb\\x9Bc");
  });
});

describe("a file with hundreds of thousands of findings", () => {
  it("200k overlapping safetensors tensors: a report, no stack overflow", async () => {
    const header: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) header[`t${i}`] = { dtype: "F32", shape: [1], data_offsets: [0, 4] };
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const dir = tempDir();
    writeFileSync(join(dir, "many.safetensors"), Buffer.concat([len, json, Buffer.alloc(4)]));
    const report = await scanPaths([dir], dir);
    const malformed = report.findings.filter((f) => f.ruleId === "artifact/safetensors-malformed");
    // The first 100 problems one by one, the rest counted in one finding.
    expect(malformed).toHaveLength(101);
    expect(malformed.find((f) => f.evidence?.["problems"] !== undefined)?.message).toMatch(/199899 more problems like the 100 listed \(199999 in all\)/);
    expect(render("text", report, { catalog: loadCatalog(), color: false }).length).toBeGreaterThan(0);
  }, 120_000);
});
