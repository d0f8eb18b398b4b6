// The AI bill of materials: CycloneDX 1.6 JSON, validated with the CycloneDX project's own
// library against the official schema, round-tripping the scanned artifacts with their hashes.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Spec, Validation } from "@cyclonedx/cyclonedx-library";
import { runScan } from "../../src/core/run";
import { loadCatalog } from "../../src/core/catalog";
import { toCycloneDx } from "../../src/reporters/cyclonedx";
import type { ProbeResult, Report } from "../../src/types";
import { runCli } from "../helpers/cli";

const ROOT = join(__dirname, "..", "..");

async function schemaErrors(bom: unknown): Promise<unknown> {
  return new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(JSON.stringify(bom));
}

interface Bom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { tools: { components: Array<{ name: string; version: string }> } };
  components: Array<{ type: string; "bom-ref": string; name: string; hashes?: Array<{ alg: string; content: string }>; properties: Array<{ name: string; value: string }>; modelCard?: { quantitativeAnalysis?: { performanceMetrics: Array<{ type: string; value: string; slice?: string }> }; properties?: Array<{ name: string; value: string }> }; data?: Array<{ type: string; sensitiveData?: string[] }> }>;
  vulnerabilities: Array<{ id: string; ratings: Array<{ severity: string; score: number }>; affects: Array<{ ref: string }>; analysis?: { state: string }; properties: Array<{ name: string; value: string }> }>;
}

let dir: string;
let report: Report;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aigis-cdx-"));
  report = (await runScan({ paths: ["fixtures/demo"], cwd: ROOT, jobs: 1 })).report;
}, 120_000);

describe("aigis scan --format cyclonedx", () => {
  let bom: Bom;
  beforeAll(async () => {
    const out = join(dir, "bom.cdx.json");
    const run = await runCli(["scan", "fixtures/demo", "-o", out, "--fail-on", "none", "-q", "-j", "1"], { cwd: ROOT });
    expect(run.code).toBe(0);
    bom = JSON.parse(readFileSync(out, "utf8")) as Bom;
  }, 120_000);

  it("is valid CycloneDX 1.6 by the official schema, and the validator does reject a broken one", async () => {
    expect(bom.bomFormat).toBe("CycloneDX");
    expect(bom.specVersion).toBe("1.6");
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(await schemaErrors(bom)).toBeNull();
    expect(await schemaErrors({ ...bom, components: [{ ...bom.components[0], type: "spaceship" }] })).not.toBeNull();
  });

  it("round-trips every scanned artifact with its SHA-256, models and datasets typed as such", () => {
    const byName = new Map(bom.components.map((c) => [c.name, c]));
    for (const t of report.targets) {
      const c = byName.get(t.uri);
      expect(c).toBeDefined();
      expect(c!.hashes).toEqual([{ alg: "SHA-256", content: t.sha256 }]);
      expect(c!.properties).toContainEqual({ name: "aigis:kind", value: t.kind });
    }
    expect(byName.get("fixtures/demo/models/evil-model.pkl")!.type).toBe("machine-learning-model");
    expect(byName.get("fixtures/demo/models/iris-mlp.pt")!.type).toBe("machine-learning-model");
    const churn = byName.get("fixtures/demo/data/churn-training.csv")!;
    expect(churn.type).toBe("data");
    expect(churn.data![0]!.sensitiveData![0]).toMatch(/^personal data: \d+ findings/);
    expect(byName.get("fixtures/demo/policies/model-bucket-policy.json")!.type).toBe("file");
    expect(bom.metadata.tools.components[0]!.name).toBe("aigis");
  });

  it("carries findings as vulnerabilities rated with the rule's severity and pointing at the affected component", () => {
    const refs = new Set(bom.components.map((c) => c["bom-ref"]));
    const pickle = bom.vulnerabilities.find((v) => v.id === "artifact/pickle-code-execution")!;
    expect(pickle.ratings[0]).toMatchObject({ severity: "critical", score: 9.5 });
    for (const v of bom.vulnerabilities) for (const a of v.affects) expect(refs.has(a.ref)).toBe(true);
    const counted = report.findings.filter((f) => f.baselineState !== "absent").length;
    const total = bom.vulnerabilities.reduce((a, v) => a + Number(v.properties.find((p) => p.name === "aigis:findings")!.value), 0);
    expect(total).toBe(counted);
    // No personal data value reaches the bill of materials.
    expect(JSON.stringify(bom)).not.toMatch(/@example\.|4111 ?1111|\d{3}-\d{2}-\d{4}/);
  });
});

describe("aigis report --format cyclonedx", () => {
  it("writes the bill of materials from a saved report, with probe results as the model card's metrics", async () => {
    const probe: ProbeResult = { model: "fixtures/demo/models/iris-mlp.pt", format: "onnx", samples: 30, cleanAccuracy: 0.96, attacks: [{ name: "pgd", norm: "linf", eps: 0.1, steps: 20, stepSize: 0.0125, robustAccuracy: 0.4, attackSuccessRate: 0.58, meanPerturbation: 0.1, queries: 0, seconds: 0.2 }], backdoor: { suspected: true, targetLabel: 2, score: 3, method: "neural-cleanse" } };
    const results = join(dir, "results.json");
    writeFileSync(results, JSON.stringify({ ...report, probes: [probe, { ...probe, model: "remote/endpoint" }] }));
    const out = join(dir, "aibom.json");
    const run = await runCli(["report", results, "--format", "cyclonedx", "--output", out], { cwd: ROOT });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const bom = JSON.parse(readFileSync(out, "utf8")) as Bom;
    expect(await schemaErrors(bom)).toBeNull();
    const mlp = bom.components.find((c) => c.name === "fixtures/demo/models/iris-mlp.pt")!;
    expect(mlp.modelCard!.quantitativeAnalysis!.performanceMetrics).toEqual([
      { type: "accuracy", value: "0.9600", slice: "clean, 30 samples" },
      { type: "robust-accuracy", value: "0.4000", slice: "pgd linf eps=0.1 steps=20" },
    ]);
    expect(mlp.modelCard!.properties).toContainEqual({ name: "aigis:probe:backdoor-suspected", value: "true" });
    // A probed model that was not scanned is still a component.
    expect(bom.components.find((c) => c.name === "remote/endpoint")!.properties).toContainEqual({ name: "aigis:scanned", value: "false" });
  });

  it("marks accepted risks as such", async () => {
    const suppressed: Report = { ...report, findings: report.findings.map((f) => (f.ruleId === "policy/aws-public-write" ? { ...f, suppression: { justification: "bucket is a public mirror" } } : f)) };
    const bom = toCycloneDx(suppressed, loadCatalog()) as unknown as Bom;
    expect(bom.vulnerabilities.find((v) => v.id === "policy/aws-public-write")!.analysis).toMatchObject({ state: "exploitable" });
    expect(await schemaErrors(bom)).toBeNull();
  });
});

describe("model cards from what the file states", () => {
  it("reads an ONNX export's inputs, outputs, producer and parameter count, and a safetensors header's size", async () => {
    const { report: r } = await runScan({ paths: ["fixtures/models/mlp.onnx", "fixtures/artifacts/benign/model.safetensors"], cwd: ROOT, jobs: 1 });
    const bom = toCycloneDx(r, loadCatalog()) as unknown as { components: Array<{ name: string; modelCard?: { modelParameters?: { inputs?: Array<{ format: string }>; outputs?: Array<{ format: string }> }; properties?: Array<{ name: string; value: string }> } }> };
    expect(await schemaErrors(bom)).toBeNull();
    const onnx = bom.components.find((c) => c.name === "fixtures/models/mlp.onnx")!.modelCard!;
    expect(onnx.modelParameters!.inputs).toEqual([{ format: "float32[batch,64] input" }]);
    expect(onnx.modelParameters!.outputs).toEqual([{ format: "float32[batch,10] logits" }]);
    expect(onnx.properties).toEqual(expect.arrayContaining([{ name: "aigis:model:format", value: "onnx" }, { name: "aigis:model:framework", value: "pytorch 1.13.0" }, { name: "aigis:model:parameters", value: "2410" }, { name: "aigis:model:opset", value: "13" }]));
    const st = bom.components.find((c) => c.name === "fixtures/artifacts/benign/model.safetensors")!.modelCard!;
    expect(st.properties).toEqual(expect.arrayContaining([{ name: "aigis:model:parameters", value: "8" }, { name: "aigis:model:tensors", value: "2" }]));
  });
});
