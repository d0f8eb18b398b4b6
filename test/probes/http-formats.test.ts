/** @jest-environment ./test/probes/ort-environment.js */
// The request and answer shapes of the servers users ship, served on loopback by node:http and
// backed by the ONNX digits MLP: Triton / KServe v2 (metadata, several outputs, requested outputs),
// Seldon MLServer's scikit-learn runtime (`predict` by default, `predict_proba` on request), TF
// Serving row format (one unnamed output; named outputs with top-k `classes` + `scores`), and the
// MLflow scoring server (2.x `{"predictions": ...}`, 1.x bare lists, DataFrame records), each with
// its real error body. Each server checks the request as the real one would and rejects it otherwise.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { argmaxRows } from "../../src/probes/attacks/common";
import { loadHttpModel, routeOf } from "../../src/probes/loaders/http";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import type { ProbeModel } from "../../src/probes/model";
import { runProbe } from "../../src/probes/run";
import { runCli } from "../helpers/cli";
import { reportSchemaErrors } from "../helpers/validate";

const ROOT = join(__dirname, "../..");
const FIX = "fixtures/models";
const DATA = `${FIX}/digits_test.csv`;
const MEM = `${FIX}/standard/membership`;
let server: Server;
let base = "";
let backing: ProbeModel;
const requests: Array<{ url: string; body: unknown }> = [];

function softmax(logits: Float32Array, n: number, k: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const row = Array.from(logits.subarray(i * k, (i + 1) * k));
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

function topK(probs: number[], k: number): { classes: number[]; scores: number[] } {
  const order = probs.map((p, c) => ({ p, c })).sort((a, b) => b.p - a.p).slice(0, k);
  return { classes: order.map((o) => o.c), scores: order.map((o) => o.p) };
}

function send(res: ServerResponse, code: number, doc: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(doc));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = "";
    req.on("data", (c: Buffer) => (s += c.toString()));
    req.on("end", () => resolve(s));
  });
}

/** Rows from a row-format or columnar body, rejected as the real servers reject malformed input. */
function rowsFrom(x: unknown): number[][] | undefined {
  return Array.isArray(x) && x.every((r) => Array.isArray(r) && r.length === 64 && r.every((v) => typeof v === "number")) ? (x as number[][]) : undefined;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "";
  const text = await readBody(req);
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  requests.push({ url, body });
  // Triton: metadata, then inference with an input named as the metadata says.
  if (req.method === "GET" && url === "/v2/models/triton") {
    return send(res, 200, { name: "triton", versions: ["1"], platform: "onnxruntime_onnx", inputs: [{ name: "input__0", datatype: "FP32", shape: [-1, 64] }], outputs: [{ name: "logits", datatype: "FP32", shape: [-1, 10] }, { name: "embedding", datatype: "FP32", shape: [-1, 16] }] });
  }
  // TF Serving's metadata API: the serving signature with int64 sizes written as strings.
  if (req.method === "GET" && url === "/v1/models/image/metadata") {
    const dim = [-1, 8, 8, 1].map((size) => ({ size: String(size), name: "" }));
    return send(res, 200, {
      model_spec: { name: "image", signature_name: "", version: "1" },
      metadata: { signature_def: { signature_def: { serving_default: { inputs: { input_1: { dtype: "DT_FLOAT", tensor_shape: { dim, unknown_rank: false }, name: "serving_default_input_1:0" } }, outputs: { dense_1: { dtype: "DT_FLOAT", tensor_shape: { dim: [{ size: "-1" }, { size: "10" }], unknown_rank: false }, name: "StatefulPartitionedCall:0" } }, method_name: "tensorflow/serving/predict" } } } },
    });
  }
  if (req.method === "GET") return send(res, 404, { error: "Request for unknown model: 'm' is not found" });
  if (url.startsWith("/v2/")) {
    const inputs = body?.["inputs"] as Array<{ name: string; shape: number[]; datatype: string; data: number[] }> | undefined;
    const input = inputs?.[0];
    if (!input || input.datatype !== "FP32" || input.shape.length !== 2 || input.shape[1] !== 64 || input.data.length !== input.shape[0]! * 64) {
      return send(res, 400, { error: "unexpected shape for input 'input__0' for model 'triton'. Expected [-1,64]" });
    }
    if (url.startsWith("/v2/models/triton/") && input.name !== "input__0") return send(res, 400, { error: `unexpected inference input '${input.name}' for model 'triton'` });
    const n = input.shape[0]!;
    const logits = await backing.predict(Float32Array.from(input.data), n);
    const probs = softmax(logits, n, 10);
    const wanted = (body?.["outputs"] as Array<{ name: string }> | undefined)?.map((o) => o.name);
    if (url.startsWith("/v2/models/triton/")) {
      const all = [
        { name: "embedding", datatype: "FP32", shape: [n, 16], data: Array.from({ length: n * 16 }, (_, j) => logits[Math.floor(j / 16) * 10 + (j % 10)]! * 0.5) },
        { name: "logits", datatype: "FP32", shape: [n, 10], data: Array.from(logits) },
        { name: "label", datatype: "INT64", shape: [n], data: Array.from(argmaxRows(logits, n, 10)) },
      ];
      const unknown = wanted?.find((w) => !all.some((o) => o.name === w));
      if (unknown) return send(res, 400, { error: `unexpected inference output '${unknown}' for model 'triton'` });
      return send(res, 200, { model_name: "triton", model_version: "1", outputs: wanted ? all.filter((o) => wanted.includes(o.name)) : all });
    }
    // MLServer, scikit-learn runtime: `predict` unless the request asks for other outputs.
    const outputs = (wanted ?? ["predict"]).map((name) => {
      if (name === "predict") return { name, shape: [n, 1], datatype: "INT64", parameters: { content_type: "np" }, data: Array.from(argmaxRows(logits, n, 10)) };
      if (name === "predict_proba") return { name, shape: [n, 10], datatype: "FP64", parameters: { content_type: "np" }, data: probs.flat() };
      return undefined;
    });
    if (outputs.includes(undefined)) return send(res, 400, { error: "mlserver.errors.InferenceError: Output not supported" });
    return send(res, 200, { model_name: "sklearn", id: "3f1c", parameters: {}, outputs });
  }
  if (url === "/v1/models/image:predict") {
    // Instances must be nested [8][8][1], as the signature says.
    const inst = body?.["instances"] as unknown[] | undefined;
    const ok = Array.isArray(inst) && inst.every((x) => Array.isArray(x) && x.length === 8 && x.every((r) => Array.isArray(r) && r.length === 8 && r.every((p) => Array.isArray(p) && p.length === 1)));
    if (!ok) return send(res, 400, { error: "Input to reshape is a tensor with 64 values, but the requested shape has 1" });
    const flat = (inst as number[][][][]).map((x) => x.flat(2));
    return send(res, 200, { predictions: softmax(await backing.predict(Float32Array.from(flat.flat()), flat.length), flat.length, 10) });
  }
  if (url.startsWith("/v1/")) {
    const rows = rowsFrom(body?.["instances"]);
    if (!rows) return send(res, 400, { error: "JSON Value: ... Excepting 'instances' to be an list/array" });
    const logits = await backing.predict(Float32Array.from(rows.flat()), rows.length);
    const probs = softmax(logits, rows.length, 10);
    if (url === "/v1/models/topk:predict") return send(res, 200, { predictions: probs.map((p) => ({ ...topK(p, 3), classes: topK(p, 3).classes.map(String) })) });
    if (url === "/v1/models/estimator:predict") return send(res, 200, { predictions: probs.map((p) => ({ classes: p.map((_, c) => String(c)), scores: p })) });
    if (url === "/v1/models/dnn:predict") {
      // tf.estimator.DNNClassifier's predict signature: ids and class strings around the logits.
      return send(res, 200, {
        predictions: probs.map((p, i) => {
          const c = argmaxRows(logits, rows.length, 10)[i]!;
          return { all_class_ids: p.map((_, k) => k), all_classes: p.map((_, k) => String(k)), class_ids: [c], classes: [String(c)], logits: Array.from(logits.subarray(i * 10, (i + 1) * 10)), probabilities: p };
        }),
      });
    }
    return send(res, 200, { predictions: probs });
  }
  if (url.startsWith("/mlflow")) {
    const keys = Object.keys(body ?? {});
    const fields = ["dataframe_records", "dataframe_split", "inputs", "instances"];
    if (keys.filter((k) => fields.includes(k)).length !== 1) {
      return send(res, 400, { error_code: "BAD_REQUEST", message: `The input must be a JSON dictionary with exactly one of the input fields {'dataframe_records', 'dataframe_split', 'inputs', 'instances'}. Received dictionary with input fields: ${JSON.stringify(keys)}.` });
    }
    // MLflow takes TF Serving's row format (`instances`) as well as `inputs`.
    const rows = rowsFrom(body?.["inputs"] ?? body?.["instances"]);
    if (!rows) return send(res, 400, { error_code: "BAD_REQUEST", message: "Failed to parse data as TF serving input." });
    const logits = await backing.predict(Float32Array.from(rows.flat()), rows.length);
    const probs = softmax(logits, rows.length, 10);
    if (url === "/mlflow-sklearn/invocations") return send(res, 200, { predictions: Array.from(argmaxRows(logits, rows.length, 10)) });
    if (url === "/mlflow-v1/invocations") return send(res, 200, probs);
    if (url === "/mlflow-records/invocations") return send(res, 200, { predictions: probs.map((p) => Object.fromEntries(p.map((v, c) => [String(c), v]))) });
    return send(res, 200, { predictions: probs });
  }
  return send(res, 404, { error: "not found" });
}

beforeAll(async () => {
  backing = await loadOnnxModel(join(ROOT, FIX, "mlp.onnx"));
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  backing.dispose();
  await new Promise((r) => server.close(r));
});

const digits = { data: DATA, cwd: ROOT, samples: 60, attacks: [] as never[] };

describe("server formats", () => {
  it("routes by URL path and --protocol", () => {
    expect(routeOf("http://h:1/invocations")).toEqual({ protocol: "mlflow", inferUrl: "http://h:1/invocations" });
    expect(routeOf("http://h:1/v1/models/m/labels/stable:predict").inferUrl).toBe("http://h:1/v1/models/m/labels/stable:predict");
    expect(routeOf("http://h:1/score", "mlflow")).toEqual({ protocol: "mlflow", inferUrl: "http://h:1/score" });
    expect(routeOf("http://h:1/api/predict", "tfserving").inferUrl).toBe("http://h:1/api/predict");
  });

  it("Triton: input name from metadata, the logits output picked among several, --output-name for another", async () => {
    const onnx = await runProbe({ ...digits, model: `${FIX}/mlp.onnx` });
    const triton = await runProbe({ ...digits, model: `${base}/v2/models/triton/infer` });
    expect(triton.probes[0]!.cleanAccuracy).toBe(onnx.probes[0]!.cleanAccuracy);
    expect(triton.probes[0]!.numClasses).toBe(10);
    const infer = requests.find((r) => r.url === "/v2/models/triton/infer")!.body as { inputs: Array<{ name: string }> };
    expect(infer.inputs[0]!.name).toBe("input__0");
    // Asking for the label output: Triton answers only it, and the probe becomes label-only.
    const labels = await loadHttpModel(`${base}/v2/models/triton/infer`, { outputName: "label" }, 64, 10);
    expect(labels.labelsOnly).toBe(true);
    expect((requests[requests.length - 1]!.body as { outputs: unknown }).outputs).toEqual([{ name: "label" }]);
    // An output the model does not have: Triton's own error, named.
    await expect(loadHttpModel(`${base}/v2/models/triton/infer`, { outputName: "probs", retries: 0 }, 64, 10)).rejects.toThrow(/triton\/infer answered HTTP 400: unexpected inference output 'probs' for model 'triton'/);
  });

  it("MLServer scikit-learn: predict_proba is asked for when predict answers labels, and recorded", async () => {
    const r = await runProbe({ ...digits, model: `${base}/v2/models/sklearn/infer`, extraction: true, extractionBudgets: [100, 300] });
    const p = r.probes[0]!;
    expect(p["notes"]).toEqual(expect.arrayContaining([expect.stringMatching(/gives its predict_proba output to any client that asks/)]));
    expect((p["extraction"] as { outputs: string }).outputs).toBe("probabilities");
    expect(p.numClasses).toBe(10);
  }, 120000);

  it("TF Serving: top-k classes + scores are top-k; full classes + scores (Estimator) are probabilities", async () => {
    const r = await runProbe({ ...digits, model: `${base}/v1/models/topk:predict`, extraction: true, extractionBudgets: [100, 300], members: `${MEM}/members.csv`, nonMembers: `${MEM}/non_members.csv` });
    const p = r.probes[0]!;
    expect(p["extraction"]).toMatchObject({ outputs: "top-k", topK: 3 });
    expect(reportSchemaErrors(r)).toEqual([]);
    const m = p["membership"] as { outputs: string; attacks: Array<{ name: string }> };
    expect(m.outputs).toBe("top-k");
    expect(m.attacks.map((a) => a.name)).toEqual(["loss-threshold", "confidence-threshold", "correctness"]);
    expect(p["notes"]).toEqual(expect.arrayContaining([expect.stringMatching(/top 3 scores only/), expect.stringMatching(/top 3 classes only.*class 10 for any other/)]));
    // Top-3 answers keep the argmax: same clean accuracy as the file.
    const onnx = await runProbe({ ...digits, model: `${FIX}/mlp.onnx` });
    expect(p.cleanAccuracy).toBe(onnx.probes[0]!.cleanAccuracy);
    const dnn = await runProbe({ ...digits, model: `${base}/v1/models/dnn:predict`, extraction: true, extractionBudgets: [100] });
    expect((dnn.probes[0]!["extraction"] as { outputs: string }).outputs).toBe("logits");
    expect(dnn.probes[0]!.cleanAccuracy).toBe(onnx.probes[0]!.cleanAccuracy);
    const dnnLabels = await loadHttpModel(`${base}/v1/models/dnn:predict`, { outputName: "class_ids" }, 64, 10);
    expect(dnnLabels.labelsOnly).toBe(true);
    // The per-sample shape comes from TF Serving's metadata; rows are nested to it.
    const image = await runProbe({ ...digits, model: `${base}/v1/models/image:predict` });
    expect(image.probes[0]!.inputShape).toEqual([8, 8, 1]);
    expect(image.probes[0]!.cleanAccuracy).toBe(onnx.probes[0]!.cleanAccuracy);
    const est = await runProbe({ ...digits, model: `${base}/v1/models/estimator:predict`, extraction: true, extractionBudgets: [100] });
    expect((est.probes[0]!["extraction"] as { outputs: string }).outputs).toBe("probabilities");
    expect(est.probes[0]!.cleanAccuracy).toBe(onnx.probes[0]!.cleanAccuracy);
  }, 180000);

  it("MLflow: 2.x probabilities, 1.x bare lists, DataFrame records, scikit-learn labels with the label-only membership attack", async () => {
    const onnx = await runProbe({ ...digits, model: `${FIX}/mlp.onnx` });
    for (const path of ["/mlflow/invocations", "/mlflow-v1/invocations", "/mlflow-records/invocations"]) {
      const r = await runProbe({ ...digits, model: `${base}${path}`, extraction: true, extractionBudgets: [100] });
      expect({ path, outputs: (r.probes[0]!["extraction"] as { outputs: string }).outputs, accuracy: r.probes[0]!.cleanAccuracy }).toEqual({ path, outputs: "probabilities", accuracy: onnx.probes[0]!.cleanAccuracy });
    }
    const body = requests.find((q) => q.url === "/mlflow/invocations")!.body as { inputs: number[][] };
    expect(Object.keys(body)).toEqual(["inputs"]);
    const labels = await runProbe({ ...digits, model: `${base}/mlflow-sklearn/invocations`, extraction: true, extractionBudgets: [100], members: `${MEM}/members.csv`, nonMembers: `${MEM}/non_members.csv` });
    const p = labels.probes[0]!;
    expect((p["extraction"] as { outputs: string }).outputs).toBe("labels");
    const m = p["membership"] as { outputs: string; attacks: Array<{ name: string }> };
    expect(m.outputs).toBe("labels");
    expect(m.attacks.map((a) => a.name)).toEqual(["correctness"]);
    expect(p["notes"]).toEqual(expect.arrayContaining([expect.stringMatching(/^Membership inference: The model answers labels only: only the label-only \(correctness\) attack runs/)]));
    expect(p.cleanAccuracy).toBe(onnx.probes[0]!.cleanAccuracy);
  }, 180000);

  it("MLflow's error body through the CLI: exit 2, its message, the endpoint named", async () => {
    const cli = await runCli(["probe", `${base}/mlflow/invocations`, "--data", DATA, "--samples", "5", "--input-name", "x", "--retries", "0"], { cwd: ROOT });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/^aigis: error: endpoint http:\/\/127\.0\.0\.1:\d+\/mlflow\/invocations answered HTTP 400: BAD_REQUEST: Failed to parse data as TF serving input\.\n$/);
    const forced = await runCli(["probe", `${base}/mlflow/invocations`, "--protocol", "kserve", "--data", DATA, "--samples", "5", "--retries", "0"], { cwd: ROOT });
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/mlflow\/invocations answered HTTP 400: BAD_REQUEST: Failed to parse data as TF serving input/);
    // TF Serving's row format is one MLflow takes: forced, the probe runs.
    const rowFormat = await runCli(["probe", `${base}/mlflow/invocations`, "--protocol", "tfserving", "--data", DATA, "--samples", "5", "--attack", "none", "--format", "json"], { cwd: ROOT });
    expect(rowFormat.code).toBe(0);
    expect(Object.keys(requests[requests.length - 1]!.body as object)).toEqual(["instances"]);
    const bad = await runCli(["probe", `${base}/mlflow/invocations`, "--protocol", "torchserve", "--data", DATA], { cwd: ROOT });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --protocol 'torchserve' \(kserve, tfserving, mlflow\)/);
  }, 60000);
});
