// Pickles are sniffed by what pickle.loads accepts, not by a leading PROTO opcode.
// Each byte string below was checked with Debian's python3: pickle.loads runs its payload.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { builtinRegistry } from "../../src/core/registry";
import { sniffKind } from "../../src/core/sniff";
import { BufferFile } from "../../src/core/random-access";
import { looksLikePickle } from "../../src/scanners/artifacts/pickle/machine";
import { osSystemCall, scanPaths, tempDir } from "./helpers";

const CANARY = "/tmp/aigis-hostile-pickle-canary";
const call = osSystemCall(CANARY);
const STOP = Buffer.from(".");

/** Starts that pickle.loads accepts and that are not PROTO: NEWTRUE, BININT2, SHORT_BINUNICODE (each then POPped). */
const cases: Array<[string, Buffer]> = [
  ["NEWTRUE", Buffer.concat([Buffer.from([0x88, 0x30]), call, STOP])],
  ["BININT2", Buffer.concat([Buffer.from([0x4d, 0x01, 0x00, 0x30]), call, STOP])],
  // STACK_GLOBAL from two SHORT_BINUNICODE strings, protocol 4 style without PROTO or FRAME.
  ["SHORT_BINUNICODE", Buffer.from("8c026f738c0673797374656d938c0d746f7563682063616e6172793385522e", "hex")],
];

async function kindOf(bytes: Buffer): Promise<string> {
  return sniffKind(bytes.subarray(0, 64 * 1024), new BufferFile(bytes), builtinRegistry().detectors);
}

describe("pickle sniffing by what the unpickler accepts", () => {
  it.each(cases)("a pickle starting with %s is a pickle", async (_name, bytes) => {
    expect(await kindOf(bytes)).toBe("pickle");
  });

  it.each(cases)("a pickle starting with %s and calling os.system is critical, also gzip-wrapped (joblib)", async (name, bytes) => {
    const dir = tempDir();
    writeFileSync(join(dir, `${name}.bin`), bytes);
    writeFileSync(join(dir, `${name}.joblib`), gzipSync(bytes));
    const report = await scanPaths([dir], dir);
    for (const file of [`${name}.bin`, `${name}.joblib`]) {
      const critical = report.findings.filter((f) => f.location.uri === file && f.severity === "critical");
      expect(critical.map((f) => f.ruleId)).toContain("artifact/pickle-code-execution");
    }
    expect(existsSync(CANARY)).toBe(false);
  });

  it("a whole file cut after the call (no STOP) is still a pickle: the call runs before the unpickler sees the end", async () => {
    const truncated = Buffer.from("8c026f738c0673797374656d938c0d746f7563682063616e617279338552", "hex");
    expect(looksLikePickle(truncated, truncated.length)).toBe(true);
    const dir = tempDir();
    writeFileSync(join(dir, "cut.bin"), truncated);
    const report = await scanPaths([dir], dir);
    expect(report.findings.some((f) => f.ruleId === "artifact/pickle-code-execution" && f.severity === "critical")).toBe(true);
  });

  it("text and data that the unpickler rejects stay what they are", async () => {
    expect(await kindOf(Buffer.from("config\nvalue\n"))).not.toBe("pickle");
    expect(await kindOf(Buffer.from("a,b\n1,2\n3,4\n"))).toBe("csv");
    expect(await kindOf(Buffer.from("hello world, this is text\n"))).toBe("text");
    expect(await kindOf(Buffer.from("Version: 1\nname: x\n"))).toBe("yaml");
    // "id,text" reads as INST; its second line runs past the 64 KiB head: not a pickle cut short.
    const csv = Buffer.from(`id,text\n1,"${"user@example.com ".repeat(8000)}"\n2,hello\n`);
    expect(await kindOf(csv)).not.toBe("pickle");
    // Unknown opcode after a valid start, stack underflow, a memo entry never set.
    expect(looksLikePickle(Buffer.from([0x88, 0xff, 0x2e]), 3)).toBe(false);
    expect(looksLikePickle(Buffer.from("0."), 2)).toBe(false);
    expect(looksLikePickle(Buffer.from([0x68, 0x05, 0x2e]), 3)).toBe(false);
  });
});
