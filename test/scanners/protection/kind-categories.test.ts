// Protection policies judge a file by what its format declaration says it is (each scanner's
// `formats`, core's generic kinds), declared once: rules/lists/protection.json no longer
// repeats the model, data and container kinds.
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../../src/core/run";
import { builtinRegistry } from "../../../src/core/registry";
import { protectionData, protectedCategory } from "../../../src/scanners/protection/settings";

const ROOT = join(__dirname, "..", "..", "..");
const requireModelEncryption = { scanners: { protection: { requireEncryption: { kinds: ["model"] } } } };

// A scanner a user writes for a format aigis does not know: it declares the kind a model.
const TOY_PLUGIN = `"use strict";
exports.scanner = {
  id: "toy",
  kinds: ["toy-model"],
  formats: [{ kind: "toy-model", category: "model", description: "toy model format (magic TOYMODEL)" }],
  detectors: [{ name: "toy-model", order: 150, refines: "*", detect: ({ head }) => (head.subarray(0, 8).toString("latin1") === "TOYMODEL" ? "toy-model" : undefined) }],
  rules: [],
  async scan() {},
};
`;

describe("kind categories for protection policies", () => {
  it("keeps no kind lists of its own in rules/lists/protection.json", () => {
    const data = protectionData() as unknown as Record<string, unknown>;
    for (const key of ["modelKinds", "dataKinds", "protectedContainerKinds"]) expect(data[key]).toBeUndefined();
  });

  it("takes the categories from the registry's format declarations and core's generic kinds", () => {
    const registry = builtinRegistry();
    const cat = (kind: string): string | undefined => protectedCategory(registry.categoryOf(kind));
    for (const k of ["pickle", "pytorch-zip", "numpy", "hdf5", "onnx", "safetensors", "gguf", "tfjs-model", "tf-saved-model", "tflite"]) expect(cat(k)).toBe("model");
    for (const k of ["csv", "jsonl", "parquet", "image"]) expect(cat(k)).toBe("data");
    for (const k of ["zip", "tar", "gzip", "bzip2", "xz", "zstd", "7z", "zlib", "lzma", "age", "openpgp", "openssl-enc", "cms-enveloped", "jwe"]) expect(cat(k)).toBe("container");
    for (const k of ["json", "yaml", "text", "unknown", "iam-policy", "cms-signature", "pem", "constructor"]) expect(cat(k)).toBeUndefined();
  });

  it("covers a TensorFlow Lite model under requireEncryption kinds [model] and the file-mode checks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-kinds-"));
    copyFileSync(join(ROOT, "fixtures", "model-folders", "benign", "add.tflite"), join(dir, "add.tflite"));
    chmodSync(join(dir, "add.tflite"), 0o666);
    const { report } = await runScan({ paths: ["."], cwd: dir, jobs: 1, config: requireModelEncryption });
    expect(report.targets.find((t) => t.uri === "add.tflite")?.kind).toBe("tflite");
    const rules = report.findings.filter((f) => f.location.uri === "add.tflite").map((f) => f.ruleId);
    expect(rules).toContain("protection/unencrypted-artifact");
    if (process.platform !== "win32") expect(rules).toContain("protection/world-writable");
  });

  it("covers a custom scanner's model kind without any edit to protection data", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-kinds-"));
    writeFileSync(join(dir, "toy-scanner.js"), TOY_PLUGIN);
    writeFileSync(join(dir, "weights.toy"), Buffer.concat([Buffer.from("TOYMODEL"), Buffer.alloc(64, 7)]));
    writeFileSync(join(dir, "notes.txt"), "not a model\n");
    const { report } = await runScan({ paths: ["weights.toy", "notes.txt"], cwd: dir, jobs: 1, plugins: ["./toy-scanner.js"], config: requireModelEncryption });
    expect(report.targets.find((t) => t.uri === "weights.toy")?.kind).toBe("toy-model");
    const hits = report.findings.filter((f) => f.ruleId === "protection/unencrypted-artifact").map((f) => f.location.uri);
    expect(hits).toEqual(["weights.toy"]);
  });
});
