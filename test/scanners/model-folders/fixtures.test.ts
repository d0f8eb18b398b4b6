// The model-folder fixtures (fixtures/model-folders/make_fixtures.py) through the real
// pipeline: every malicious file flagged by its rule at high or above, every benign file
// below high, and no payload ever runs.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Report, Severity } from "../../../src/types";
import { runScan } from "../../../src/core/run";

const FIXTURES = resolve(__dirname, "../../../fixtures/model-folders");
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const canaries = (): string[] => readdirSync("/tmp").filter((n) => n.startsWith("aigis-canary-"));
const manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8")) as Record<string, { verdict: "malicious" | "malformed" | "benign"; rule: string | null; technique: string }>;

let report: Report;
let canariesBefore: string[];
beforeAll(async () => {
  canariesBefore = canaries();
  report = (await runScan({ paths: ["malicious", "malformed", "benign"], cwd: FIXTURES, jobs: 1 })).report;
});

const findings = (uri: string) => report.findings.filter((f) => f.location.uri === uri && !f.ruleId.startsWith("aigis/"));
const malicious = Object.entries(manifest).filter(([, e]) => e.verdict === "malicious");
const benign = Object.entries(manifest).filter(([, e]) => e.verdict === "benign");

describe("malicious model-folder fixtures", () => {
  it.each(malicious.map(([p, e]) => [p, e.technique, e.rule!]))("%s (%s) is flagged by %s at high or above", (path, _technique, rule) => {
    const got = findings(path).filter((f) => f.ruleId === rule);
    expect(got.map((f) => f.ruleId)).toContain(rule);
    expect(Math.min(...got.map((f) => RANK[f.severity]))).toBeLessThanOrEqual(RANK.high);
  });
});

describe("malformed model-folder fixtures", () => {
  it.each(Object.entries(manifest).filter(([, e]) => e.verdict === "malformed").map(([p, e]) => [p, e.technique, e.rule!]))("%s (%s) is reported by %s below high", (path, _technique, rule) => {
    const got = findings(path);
    expect(got.map((f) => f.ruleId)).toEqual([rule]);
    expect(RANK[got[0]!.severity]).toBeGreaterThan(RANK.high);
  });
});

describe("benign model-folder fixtures", () => {
  it.each(benign.map(([p, e]) => [p, e.technique]))("%s (%s) has nothing at high or above", (path) => {
    expect(findings(path).filter((f) => RANK[f.severity] <= RANK.high).map((f) => f.message)).toEqual([]);
  });

  it("no file under benign/ has a high finding, including files the manifest does not list", () => {
    const high = report.findings.filter((f) => f.location.uri.startsWith("benign/") && RANK[f.severity] <= RANK.high);
    expect(high.map((f) => `${f.location.uri}: ${f.message}`)).toEqual([]);
  });
});

describe("what the findings say", () => {
  const one = (uri: string, rule: string) => findings(uri).find((f) => f.ruleId === rule)!;

  it("names auto classes, files and classes of remote code, and foreign repositories", () => {
    const f = one("malicious/hf-remote-code/config.json", "artifact/remote-code");
    expect(f.message).toContain("AutoModelForCausalLM → EvilForCausalLM in modeling_evil.py");
    expect(f.evidence).toMatchObject({ entries: expect.arrayContaining([expect.objectContaining({ file: "configuration_evil.py", className: "EvilConfig", fileExists: true })]) });
    expect(one("malicious/hf-remote-code/tokenizer_config.json", "artifact/remote-code").message).toContain("AutoTokenizer → EvilTokenizer in tokenization_evil.py");
    expect(one("malicious/hf-remote-other-repo/config.json", "artifact/remote-code").message).toContain("from another repository (someone-else/helpers)");
    // Files an auto_map names are that finding's; they are not reported again as loose Python.
    expect(findings("malicious/hf-remote-code/modeling_evil.py")).toEqual([]);
  });

  it("says which weights a loader picks when pickle sits beside safetensors", () => {
    const f = one("benign/hf-pickle-beside/pytorch_model.bin", "artifact/pickle-weights");
    expect(f.severity).toBe("medium");
    expect(f.evidence).toMatchObject({ loaderPicks: "model.safetensors", pickle: ["pytorch_model.bin"] });
  });

  it("judges a folded, escaped attribute name by what Jinja looks up", () => {
    const f = one("malicious/tpl-format-chr/tokenizer_config.json", "artifact/chat-template-injection");
    expect(f.severity).toBe("critical");
    expect(JSON.stringify(f.evidence)).toContain("__init__");
    // A statement the parser does not know still gets a token-level verdict.
    expect(one("malicious/tpl-with-statement/tokenizer_config.json", "artifact/chat-template-injection").evidence).toMatchObject({ analysedAs: "tokens" });
  });

  it("reports Hydra targets inside .nemo members, plain and gzip", () => {
    for (const uri of ["malicious/exec-target.nemo", "malicious/exec-target-gz.nemo"]) {
      const f = one(uri, "artifact/hydra-target");
      expect(f.evidence).toMatchObject({ target: "builtins.exec", path: "preprocessor._target_" });
      expect(f.location.member).toBe("model_config.yaml");
    }
    expect(findings("malicious/foreign-target.nemo").map((f) => f.ruleId)).toContain("artifact/python-code");
  });

  it("validates TFLite structure and names custom and Flex operators", () => {
    expect(one("malicious/flex-writefile.tflite", "artifact/tflite-custom-op").evidence).toMatchObject({ op: "FlexWriteFile", tensorflowOp: "WriteFile", uses: 1 });
    expect(one("benign/custom-op.tflite", "artifact/tflite-custom-op")).toMatchObject({ severity: "medium", evidence: { op: "MyCustomKernel" } });
    const truncated = report.findings.filter((f) => f.location.uri === "benign/truncated.tflite");
    expect(truncated.map((f) => f.ruleId)).toEqual(["aigis/parse-error"]);
    expect(truncated[0]!.message).toMatch(/TFLite: .*outside the \d+-byte file/);
    expect(report.targets.find((t) => t.uri === "benign/add.tflite")?.kind).toBe("tflite");
    expect(findings("benign/add.tflite")).toEqual([]);
  });

  it("validates Flax msgpack array sizes and extension types", () => {
    const f = findings("malformed/flax/flax_model.msgpack")[0]!;
    expect(f.message).toContain("needs 4194304 bytes but holds 16");
    expect(JSON.stringify(f.evidence)).toContain("extension type 42");
    expect(findings("benign/flax/flax_model.msgpack")).toEqual([]);
  });

  it("names the skops types a load would construct", () => {
    expect(one("malicious/function-node.skops", "artifact/skops-untrusted-type").evidence).toMatchObject({ type: "os.system", loader: "FunctionNode" });
    expect(findings("benign/logreg.skops")).toEqual([]);
  });

  it("leaves HTML alone: only model XML is judged for entities", () => {
    expect(report.findings.filter((f) => f.location.uri === "benign/hf-llama3/README.html")).toEqual([]);
  });

  it("names the TorchServe handler and the external entity", () => {
    expect(one("malicious/custom-handler.mar", "artifact/torchserve-handler").message).toContain('"handler.py"');
    expect(one("malicious/xxe.pmml", "artifact/xml-external-entity").message).toContain("file:///etc/passwd");
  });
});

it("never runs a payload (no canary file appears)", () => {
  expect(canaries()).toEqual(canariesBefore);
});
