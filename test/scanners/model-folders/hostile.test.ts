// Hostile inputs: deep nesting, huge templates and broken bytes give a verdict or a typed
// error, never a crash or a hang.
import { BufferFile } from "../../../src/core/random-access";
import { builtinRegistry } from "../../../src/core/registry";
import { sniffKind } from "../../../src/core/sniff";
import { analyseChatTemplate, MAX_TEMPLATE_CHARS } from "../../../src/scanners/artifacts/formats/chat-template";
import { FlaxError, readFlaxMsgpack } from "../../../src/scanners/model-folders/flax";
import { readTflite, TfliteError } from "../../../src/scanners/model-folders/tflite";
import { readXml } from "../../../src/scanners/model-folders/xml";

describe("hostile model-folder inputs", () => {
  it("a template nested 50,000 parentheses deep is judged, not a stack overflow", () => {
    const deep = `{{ ${"(".repeat(50_000)}x.__class__${")".repeat(50_000)} }}`;
    const a = analyseChatTemplate(deep);
    expect(a.issues.length).toBeGreaterThan(0);
  });

  it("a template over the size limit is judged by its decoded text", () => {
    const big = `{{ x }}${" ".repeat(MAX_TEMPLATE_CHARS)}{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}`;
    const a = analyseChatTemplate(big);
    expect(a.depth).toBe("text");
    expect(a.issues.map((i) => i.reason).join()).toContain("walks Python object internals");
  });

  it("msgpack maps nested 100,000 deep give a typed error or a problem, not a crash", () => {
    const depth = 100_000;
    const bytes = new Uint8Array(depth * 3 + 1);
    for (let i = 0; i < depth; i++) bytes.set([0x81, 0xa1, 0x61], i * 3);
    bytes[depth * 3] = 0x01;
    let result: unknown;
    try {
      result = readFlaxMsgpack(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(FlaxError);
      return;
    }
    expect(JSON.stringify(result)).toContain("nested deeper");
  });

  it("TFLite offsets that point anywhere are refused with the offset", () => {
    const bytes = Buffer.alloc(64);
    bytes.write("TFL3", 4, "latin1");
    bytes.writeUInt32LE(0x7fffffff, 0);
    expect(() => readTflite(bytes)).toThrow(TfliteError);
    bytes.writeUInt32LE(16, 0);
    bytes.writeInt32LE(-1000, 16); // vtable before the start of the file
    expect(() => readTflite(bytes)).toThrow(/outside/);
  });

  it("XML with an unterminated DOCTYPE is read without hanging", () => {
    const doc = readXml(`<?xml version="1.0"?><!DOCTYPE net [<!ENTITY a SYSTEM "file:///x">${"<!-- ".repeat(10_000)}`);
    expect(doc?.entities.map((e) => e.name)).toEqual(["a"]);
    expect(doc?.wellFormed).toBe(false);
  });
});

describe("the TFLite detector", () => {
  it("never takes a pickle whose FRAME length spells TFL3 for a TFLite model", async () => {
    // PROTO 4, FRAME whose 8-byte length holds "TFL3" at file offset 4, then a GLOBAL os.system call.
    const body = Buffer.from("cos\nsystem\n(S'touch /tmp/aigis-canary-tfl3'\ntR.", "latin1");
    const shifted = Buffer.concat([Buffer.from([0x80, 0x04, 0x95, 0x00]), Buffer.from("TFL3\x00\x00\x00", "latin1"), body]);
    expect(shifted.subarray(4, 8).toString("latin1")).toBe("TFL3");
    const kind = await sniffKind(shifted, new BufferFile(shifted), builtinRegistry().detectors);
    expect(kind).toBe("pickle");
  });
});
