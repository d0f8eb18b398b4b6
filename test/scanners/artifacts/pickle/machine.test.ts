import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { analysePickles, looksLikePickle } from "../../../../src/scanners/artifacts/pickle/machine";
import { OPCODES } from "../../../../src/scanners/artifacts/pickle/opcodes";
import { FIXTURES } from "../fixture-scan";

const read = (p: string): Buffer => readFileSync(join(FIXTURES, p));

describe("pickle machine", () => {
  it("reads plain data pickles of every protocol to their STOP with no imports of code", () => {
    for (let p = 0; p <= 5; p++) {
      const buf = read(`benign/data-protocol${p}.pkl`);
      const a = analysePickles(buf);
      expect({ p, error: a.error, pickles: a.pickles, end: a.end }).toEqual({ p, error: undefined, pickles: 1, end: buf.length });
      expect(a.protocol).toBe(p >= 2 ? p : 0);
    }
  });

  it("knows every opcode of pickletools", () => {
    expect(OPCODES).toHaveLength(68);
    expect(new Set(OPCODES.map((o) => o.code)).size).toBe(68);
  });

  it("follows every pickle in a file and reports which one imports what", () => {
    const a = analysePickles(read("malicious/second-pickle-evil.pkl"));
    expect(a.pickles).toBe(2);
    expect(a.imports.map((i) => [i.module, i.name, i.pickle])).toEqual([["posix", "system", 1]]);
    expect(a.calls[0]).toMatchObject({ opcode: "REDUCE", pickle: 1, chain: 'posix.system("touch /tmp/aigis-canary-second")' });
  });

  it("treats bytes after the last pickle as trailing data, and reports malformed data inside a pickle", () => {
    const junk = analysePickles(read("malicious/junk-after-payload.pkl"));
    expect(junk.error).toBeUndefined();
    expect(junk.trailingBytes).toBe(1024);
    const cut = analysePickles(read("benign/truncated.pkl"));
    expect(cut.error?.message).toMatch(/^truncated/);
  });

  it("reads the five pickles of a legacy torch.save file and stops at the storage bytes", () => {
    const a = analysePickles(read("benign/torch-legacy.pt"));
    expect(a.pickles).toBe(5);
    expect(a.error).toBeUndefined();
    expect(a.imports.map((i) => `${i.module}.${i.name}`)).toEqual(expect.arrayContaining(["torch._utils._rebuild_tensor_v2", "collections.OrderedDict"]));
  });

  it("keeps what it saw before an error and never throws on mutated input", () => {
    const sources = readdirSync(join(FIXTURES, "malicious")).filter((n) => n.endsWith(".pkl")).map((n) => read(`malicious/${n}`));
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 3000; k++) {
      const src = sources[k % sources.length]!;
      const buf = Buffer.from(src);
      for (let j = 0; j < 1 + rand(4); j++) buf[rand(buf.length)] = rand(256);
      const cut = buf.subarray(0, buf.length - rand(Math.min(8, buf.length)));
      expect(() => analysePickles(cut)).not.toThrow();
    }
  });

  it("stops at the memo and stack limits and says so", () => {
    const memoHeavy = Buffer.concat([Buffer.from([0x80, 4, 0x28]), Buffer.from("N\x94".repeat(100), "latin1"), Buffer.from("t.", "latin1")]);
    const a = analysePickles(memoHeavy, 0, { maxMemoEntries: 10, maxStackDepth: 1000, maxEvents: 10 });
    expect(a.limitExceeded).toMatch(/memo larger than 10/);
    const deep = Buffer.concat([Buffer.from([0x80, 4]), Buffer.from("N".repeat(3000), "latin1"), Buffer.from(".")]);
    expect(analysePickles(deep, 0, { maxMemoEntries: 10, maxStackDepth: 2000, maxEvents: 10 }).limitExceeded).toMatch(/stack deeper/);
  });

  it("records byte strings that are pickles (nested loader arguments)", () => {
    const a = analysePickles(read("malicious/nested-pickle-loads.pkl"));
    expect(a.embedded).toHaveLength(1);
    const inner = analysePickles(read("malicious/nested-pickle-loads.pkl").subarray(a.embedded[0]!.offset, a.embedded[0]!.offset + a.embedded[0]!.length));
    expect(inner.imports[0]).toMatchObject({ module: "posix", name: "system" });
  });

  it("recognises pickles with and without a PROTO header, and not other data", () => {
    const p0 = read("malicious/protocol0.pkl");
    expect(looksLikePickle(p0, p0.length)).toBe(true);
    expect(looksLikePickle(read("malicious/inst-os-system.pkl"), 40)).toBe(true);
    expect(looksLikePickle(Buffer.from("hello world\n"), 12)).toBe(false);
    expect(looksLikePickle(read("benign/model.safetensors"), 100)).toBe(false);
  });
});
