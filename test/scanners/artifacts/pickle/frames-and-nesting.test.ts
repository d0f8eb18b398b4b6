// FRAME handling (both readings) and pickles hidden in strings, on pickles assembled here.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { analysePickles } from "../../../../src/scanners/artifacts/pickle/machine";
import { findNestedPickle } from "../../../../src/scanners/artifacts/pickle/nested";
import { buildPickleDocument } from "../../../../src/scanners/artifacts/pickle/document";
import { pickleFrameViolation } from "../../../../src/scanners/artifacts/pickle/rules/frame-violation";
import { runRuleTests } from "../../../helpers/rule-tester";
import { FIXTURES } from "../fixture-scan";

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const str = (s: string): Buffer => Buffer.concat([Buffer.from([0x8c, Buffer.byteLength(s)]), Buffer.from(s)]);
const frame = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0x95]), u64(body.length), body]);
const imports = (b: Buffer): string[] => analysePickles(b).imports.map((i) => `${i.module}.${i.name}`);

/** The construction checked against CPython 3.11 by make_evasion_fixtures.py: BINUNICODE's length crosses the frame end. */
function hidden(module: string, name: string): Buffer {
  const call = Buffer.concat([Buffer.from(`c${module}\n${name}\n`), str("touch /tmp/x"), Buffer.from("\x85R0", "latin1")]);
  const filler = Buffer.concat([Buffer.from("FFFFFFFF"), Buffer.from([0x43, call.length])]);
  return Buffer.concat([Buffer.from([0x80, 4]), frame(Buffer.concat([Buffer.from("X"), u32(10), Buffer.from("jj")])), filler, call, Buffer.from(".")]);
}

describe("FRAME", () => {
  it("reads what CPython's C unpickler runs from a file object, which a linear reader never sees", () => {
    const a = analysePickles(hidden("os", "system"));
    expect(a.imports.map((i) => `${i.module}.${i.name}`)).toEqual(["os.system"]);
    expect(a.framedOnly).toBe(2);
    expect(a.frameViolations).toEqual([expect.objectContaining({ kind: "read-past-frame", frameOffset: 2, declaredLength: 7, offset: 11 })]);
    expect(a.calls.map((c) => c.chain)).toEqual(['os.system("touch /tmp/x")']);
  });

  it("follows a GLOBAL line that runs past the frame end as both readings do", () => {
    const b = Buffer.concat([Buffer.from([0x80, 4]), frame(Buffer.from("cposix\nsy")), Buffer.from("stem\n"), str("id"), Buffer.from("\x85R.", "latin1")]);
    const a = analysePickles(b);
    expect(a.frameViolations.map((v) => v.kind)).toEqual(["read-past-frame"]);
    // Linear: posix.system; the file reading drops "sy" and reads the name "stem".
    expect(a.imports.map((i) => `${i.module}.${i.name}`).sort()).toEqual(["posix.stem", "posix.system"]);
  });

  it("reports a FRAME opened inside another", () => {
    const inner = Buffer.concat([str("os"), str("system"), Buffer.from([0x93]), str("id"), Buffer.from("\x85R.", "latin1")]);
    const b = Buffer.concat([Buffer.from([0x80, 4]), frame(Buffer.concat([Buffer.from([0x95]), u64(inner.length), inner.subarray(0, 4)])), inner.subarray(4)]);
    const a = analysePickles(b);
    expect(a.frameViolations.map((v) => v.kind)).toContain("frame-inside-frame");
    expect(imports(b)).toContain("os.system");
  });

  it("accepts frames that end between an opcode's arguments, as Python's unpickler does", () => {
    // SHORT_BINUNICODE's length byte ends the frame; its text follows unframed.
    const b = Buffer.concat([Buffer.from([0x80, 4]), frame(Buffer.from([0x8c, 0x02])), Buffer.from("hi.")]);
    expect(analysePickles(b).frameViolations).toEqual([]);
  });

  it("finds no violation in anything pickle, torch or joblib wrote", () => {
    const roots = [join(FIXTURES, "benign"), join(FIXTURES, "evasion", "benign")];
    for (const root of roots) {
      for (const name of readdirSync(root).filter((n) => /\.(pkl|joblib)$/.test(n))) {
        const a = analysePickles(readFileSync(join(root, name)));
        expect({ name, violations: a.frameViolations }).toEqual({ name, violations: [] });
      }
    }
  });
});

runRuleTests(pickleFrameViolation, {
  valid: [{ name: "frames as pickle writes them", doc: buildPickleDocument(analysePickles(Buffer.concat([Buffer.from([0x80, 4]), frame(Buffer.concat([str("a"), Buffer.from(".")]))]))) }],
  invalid: [
    {
      name: "a frame that hides a call",
      doc: buildPickleDocument(analysePickles(hidden("os", "system"))),
      findings: [{ message: "it runs 2 imports and calls a linear reader does not see", evidence: { hiddenFromLinearReaders: 2 } }],
    },
  ],
});

describe("pickles hidden in strings", () => {
  const inner = Buffer.concat([Buffer.from([0x80, 4]), str("os"), str("system"), Buffer.from([0x93]), str("id"), Buffer.from("\x85R.", "latin1")]);
  it.each([
    ["raw", inner, "raw"],
    ["base64", Buffer.from(inner.toString("base64")), "base64"],
    ["base64url", Buffer.from(inner.toString("base64url")), "base64"],
    ["hex", Buffer.from(inner.toString("hex")), "hex"],
    ["zlib", deflateSync(inner), "zlib"],
    ["base64 of zlib", Buffer.from(deflateSync(inner).toString("base64")), "base64+zlib"],
    ["hex of base64", Buffer.from(Buffer.from(inner.toString("base64")).toString("hex")), "hex+base64"],
  ])("finds a %s pickle", (_name, value, encoding) => {
    const found = findNestedPickle(value);
    expect(found?.encoding).toBe(encoding);
    expect(Buffer.from(found!.data).equals(inner)).toBe(true);
  });

  it.each([
    ["a sentence in parentheses", Buffer.from("(see the documentation).")],
    ["a hex digest", Buffer.from("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")],
    ["base64 of text", Buffer.from(Buffer.from("just some text, not a pickle").toString("base64"))],
    ["tensor bytes", Buffer.from(new Float32Array([1.5, -2, 3.25, 0]).buffer)],
  ])("leaves %s alone", (_name, value) => {
    const found = findNestedPickle(value);
    if (found) expect(analysePickles(found.data).imports).toEqual([]);
  });

  it("scans a base64 pickle in a string and keeps decoded bytes for the nested scan", () => {
    const outer = Buffer.concat([Buffer.from([0x80, 4]), Buffer.from("}"), str("blob"), str(inner.toString("base64")), Buffer.from("s.")]);
    const a = analysePickles(outer);
    expect(a.imports).toEqual([]);
    expect(a.embedded).toEqual([expect.objectContaining({ encoding: "base64", offset: 11 })]);
    expect(analysePickles(a.embedded[0]!.data!).imports.map((i) => `${i.module}.${i.name}`)).toEqual(["os.system"]);
  });

  it("is not crowded out by strings that only look like pickles", () => {
    const decoys = Array.from({ length: 100 }, () => str("(a decoy, not code)."));
    const outer = Buffer.concat([Buffer.from([0x80, 4, 0x5d, 0x28]), ...decoys, str(inner.toString("hex")), Buffer.from("e.")]);
    const a = analysePickles(outer);
    expect(a.embedded.map((e) => e.encoding)).toEqual(["hex"]);
  });
});
