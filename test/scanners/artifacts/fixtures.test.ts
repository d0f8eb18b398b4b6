// The artifact scanner on every fixture made by fixtures/artifacts/make_fixtures.py, through
// the real pipeline (discover -> sniff -> scan -> report).
import { readdirSync } from "node:fs";
import type { Report, Severity } from "../../../src/types";
import { findingsFor, manifest, scanFixtures } from "./fixture-scan";

const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const canaries = (): string[] => readdirSync("/tmp").filter((n) => n.startsWith("aigis-canary-"));

let report: Report;
let canariesBefore: string[];
beforeAll(async () => {
  canariesBefore = canaries();
  report = await scanFixtures();
});

const m = manifest();

describe("malicious fixtures", () => {
  it.each(Object.entries(m.malicious))("%s (%s) is flagged critical or high", (name) => {
    const found = findingsFor(report, `malicious/${name}`).filter((f) => !f.ruleId.startsWith("aigis/"));
    expect(found.length).toBeGreaterThan(0);
    expect(Math.min(...found.map((f) => RANK[f.severity]))).toBeLessThanOrEqual(RANK.high);
  });
});

describe("benign fixtures", () => {
  it.each(Object.entries(m.benign))("%s (%s) has nothing at high or above", (name) => {
    const found = findingsFor(report, `benign/${name}`);
    expect(found.filter((f) => RANK[f.severity] <= RANK.high).map((f) => f.message)).toEqual([]);
  });
});

describe("every fixture", () => {
  it("is scanned without a scanner crash and with its kind recognised", () => {
    const crashes = report.findings.filter((f) => /could not finish reading|stopped its worker/.test(f.message));
    expect(crashes.map((f) => f.message)).toEqual([]);
    const all = [...Object.keys(m.malicious).map((n) => `malicious/${n}`), ...Object.keys(m.benign).map((n) => `benign/${n}`)];
    for (const uri of all) {
      const t = report.targets.find((x) => x.uri === uri);
      expect({ uri, kind: t?.kind }).toEqual({ uri, kind: expect.not.stringMatching(/^(unknown|text)$/) });
    }
  });

  it("never runs a payload (no canary file appears)", () => {
    expect(canaries()).toEqual(canariesBefore);
  });
});

describe("what the findings say", () => {
  const first = (uri: string, ruleId: string) => findingsFor(report, uri).find((f) => f.ruleId === ruleId);

  it("names the resolved callable, the opcode offset and the controls", () => {
    const f = first("malicious/dotted-pathlib-os-system.pkl", "artifact/pickle-code-execution")!;
    expect(f.evidence).toMatchObject({ callable: "os.system", imported: "pathlib.os.system", opcode: "STACK_GLOBAL" });
    expect(f.location.offset).toBeGreaterThan(0);
    expect(f.controls).toEqual(expect.arrayContaining(["ATLAS-AML.T0010", "ATLAS-AML.T0011.000", "OWASP-ML06", "EUAIA-15", "GDPR-32"]));
  });

  it("resolves module and name fetched from the memo, and memo slots overwritten later", () => {
    expect(first("malicious/memo-fetched-names.pkl", "artifact/pickle-code-execution")!.evidence).toMatchObject({ callable: "os.system" });
    expect(first("malicious/memo-overwrite.pkl", "artifact/pickle-code-execution")!.evidence).toMatchObject({ callable: "os.system" });
  });

  it("reports the call chain through indirection gadgets", () => {
    const f = first("malicious/getattr-import.pkl", "artifact/pickle-code-execution")!;
    expect(JSON.stringify(f.evidence)).toContain("touch /tmp/aigis-canary-getattr");
  });

  it("finds the evil pickle after a clean one and after a FRAME that lies", () => {
    expect(first("malicious/second-pickle-evil.pkl", "artifact/pickle-code-execution")!.evidence).toMatchObject({ pickle: 1 });
    expect(first("malicious/frame-length-lies.pkl", "artifact/pickle-code-execution")).toBeDefined();
  });

  it("scans the pickle inside bytes passed to a nested loader", () => {
    const callables = findingsFor(report, "malicious/nested-pickle-loads.pkl").map((f) => f.evidence?.["callable"]);
    expect(callables).toEqual(expect.arrayContaining(["_pickle.loads", "posix.system"]));
  });

  it.each([
    ["torch-zip-encrypted-flag.pt", "encrypted-flag"],
    ["torch-zip-crc-mismatch.pt", "crc-mismatch"],
    ["torch-zip-name-mismatch.pt", "name-mismatch"],
    ["torch-zip-no-central-directory.pt", "no-central-directory"],
  ])("reports the zip trick in %s and still scans the pickle", (name, anomaly) => {
    const found = findingsFor(report, `malicious/${name}`);
    expect(found.some((f) => f.ruleId === "artifact/zip-inconsistent" && f.evidence?.["anomaly"] === anomaly)).toBe(true);
    const code = found.find((f) => f.ruleId === "artifact/pickle-code-execution");
    expect(code?.location.member).toMatch(/data\.pkl$/);
  });

  it("names nested archive members with !/", () => {
    const f = first("malicious/zip-nested-zip-pickle.zip", "artifact/pickle-code-execution")!;
    expect(f.location.member).toBe("release/model.zip!/inner/payload.bin");
  });

  it("reads joblib arrays to reach the payload after them, whatever the compressor", () => {
    for (const c of ["plain", "zlib", "gzip", "bz2", "lzma", "xz"]) {
      expect(first(`malicious/joblib-${c}.joblib`, "artifact/pickle-code-execution")?.evidence).toMatchObject({ callable: "posix.system" });
      expect(findingsFor(report, `benign/sklearn-pipeline-${c}.joblib`)).toEqual([]);
    }
  });

  it("keeps parse errors as findings and goes on", () => {
    const f = first("benign/truncated.pkl", "aigis/parse-error")!;
    expect(f.severity).toBe("medium");
    expect(f.message).toMatch(/truncated/);
  });

  it("reports benign real-world files with no findings at all", () => {
    for (const name of ["torch-state-dict.pt", "torch-training-checkpoint.pt", "torch-lightning-style.ckpt", "torch-legacy.pt", "torchscript.pt", "sklearn-pipeline.pkl", "model.onnx", "model.safetensors", "keras-dense.h5", "keras-dense.keras", "numpy-arrays.npz", "tiny.gguf"]) {
      expect({ name, findings: findingsFor(report, `benign/${name}`).map((f) => f.message) }).toEqual({ name, findings: [] });
    }
  });
});
