/** @jest-environment ./test/probes/ort-environment.js */
// KServe v2 and TensorFlow Serving clients against a small server on loopback, backed by the ONNX MLP.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { argmaxRows } from "../../src/probes/attacks/common";
import { loadHttpModel, routeOf } from "../../src/probes/loaders/http";
import { loadOnnxModel } from "../../src/probes/loaders/onnx";
import type { ProbeModel } from "../../src/probes/model";
import { runProbe } from "../../src/probes/run";

const ROOT = join(__dirname, "../..");
const FIX = "fixtures/models";
let server: Server;
let base = "";
let backing: ProbeModel;
const stats = { inFlight: 0, maxInFlight: 0, flakyFailures: 0, requests: 0 };

function body(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let s = "";
    req.on("data", (c: Buffer) => (s += c.toString()));
    req.on("end", () => resolve(s ? JSON.parse(s) : undefined));
    req.on("error", reject);
  });
}

beforeAll(async () => {
  backing = await loadOnnxModel(join(ROOT, FIX, "mlp.onnx"));
  server = createServer((req, res) => {
    void (async () => {
      stats.requests++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      try {
        const url = req.url ?? "";
        const send = (code: number, doc: unknown): void => {
          res.writeHead(code, { "content-type": "application/json" });
          res.end(JSON.stringify(doc));
        };
        if (req.method === "GET" && url === "/v2/models/digits") return send(200, { name: "digits", inputs: [{ name: "pixels", datatype: "FP32", shape: [-1, 64] }] });
        if (req.method !== "POST") return send(404, { error: "not found" });
        const doc = (await body(req)) as { inputs?: Array<{ name: string; shape: number[]; data: number[] }>; instances?: number[][] };
        if (url === "/v2/models/flaky/infer" && stats.flakyFailures < 2) {
          stats.flakyFailures++;
          return send(503, { error: "warming up" });
        }
        if (url === "/v2/models/slow/infer") await new Promise((r) => setTimeout(r, 400));
        await new Promise((r) => setTimeout(r, 5));
        let rows: Float32Array;
        let n: number;
        if (doc.instances) {
          n = doc.instances.length;
          rows = Float32Array.from(doc.instances.flat());
        } else {
          const input = doc.inputs![0]!;
          if (url.startsWith("/v2/models/digits/") && input.name !== "pixels") return send(400, { error: `unknown input ${input.name}` });
          n = input.shape[0]!;
          rows = Float32Array.from(input.data);
        }
        const scores = await backing.predict(rows, n);
        if (url.startsWith("/v1/")) return send(200, { predictions: Array.from({ length: n }, (_, i) => Array.from(scores.subarray(i * 10, (i + 1) * 10))) });
        if (url === "/v2/models/labels/infer") return send(200, { outputs: [{ name: "label", datatype: "INT64", shape: [n], data: Array.from(argmaxRows(scores, n, 10)) }] });
        return send(200, { outputs: [{ name: "logits", datatype: "FP32", shape: [n, 10], data: Array.from(scores) }] });
      } finally {
        stats.inFlight--;
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  backing.dispose();
  await new Promise((r) => server.close(r));
});

describe("HTTP endpoints", () => {
  it("routes KServe v2 and TensorFlow Serving URLs", () => {
    expect(routeOf("http://h:1/v2/models/m")).toMatchObject({ protocol: "kserve", inferUrl: "http://h:1/v2/models/m/infer", metadataUrl: "http://h:1/v2/models/m" });
    expect(routeOf("http://h:1/v2/models/m/versions/3/infer").inferUrl).toBe("http://h:1/v2/models/m/versions/3/infer");
    expect(routeOf("http://h:1/v1/models/m:predict")).toMatchObject({ protocol: "tfserving", inferUrl: "http://h:1/v1/models/m:predict" });
    expect(() => routeOf("http://h:1/predict")).toThrow(/is not a KServe v2/);
  });

  it("probes a KServe v2 model by scores: same clean accuracy as the ONNX file, Square attack, bounded concurrency", async () => {
    const opts = { data: `${FIX}/digits_test.csv`, cwd: ROOT, samples: 40, eps: [0.2], queries: 60, minRobustAccuracy: [] };
    const local = await runProbe({ ...opts, model: `${FIX}/mlp.onnx`, attacks: ["square"] });
    stats.maxInFlight = 0;
    const remote = await runProbe({ ...opts, model: `${base}/v2/models/digits/infer`, endpoint: { concurrency: 2, batchSize: 8 } });
    const probe = remote.probes[0]!;
    expect(probe.format).toBe("http");
    expect(probe.cleanAccuracy).toBe(local.probes[0]!.cleanAccuracy);
    expect(probe.attacks.map((a) => a.name)).toEqual(["square"]);
    expect(probe.attacks[0]!.robustAccuracy).toBe(local.probes[0]!.attacks[0]!.robustAccuracy);
    expect(probe["notes"]).toEqual(expect.arrayContaining([expect.stringMatching(/White-box attacks are unavailable: .*HTTP endpoint/)]));
    expect(stats.maxInFlight).toBeLessThanOrEqual(2);
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(remote.findings).toEqual([]);
  });

  it("extraction and membership probes run on a label-only endpoint and record what it returns", async () => {
    const r = await runProbe({
      cwd: ROOT,
      model: `${base}/v2/models/labels/infer`,
      data: `${FIX}/digits_test.csv`,
      attacks: [],
      extraction: true,
      extractionBudgets: [100, 400],
      members: `${FIX}/standard/membership/members.csv`,
      nonMembers: `${FIX}/standard/membership/non_members.csv`,
      endpoint: { concurrency: 4, batchSize: 64 },
    });
    const probe = r.probes[0]!;
    const e = probe["extraction"] as { outputs: string; points: Array<{ queries: number; fidelity: number }>; trainingQueries: number };
    expect(e.outputs).toBe("labels");
    expect(e.trainingQueries).toBe(400);
    expect(e.points.map((p) => p.queries)).toEqual([100, 400]);
    expect(e.points[e.points.length - 1]!.fidelity).toBeGreaterThan(0.5);
    const m = probe["membership"] as { attacks: Array<{ name: string }> };
    // Labels only: the correctness attack is the only one possible.
    expect(m.attacks.map((a) => a.name)).toEqual(["correctness"]);
  }, 300000);

  it("falls back to HopSkipJump when only labels come back, and answers TF Serving", async () => {
    const labels = await runProbe({ model: `${base}/v2/models/labels/infer`, data: `${FIX}/digits_test.csv`, cwd: ROOT, samples: 10, norm: "l2", eps: [1, 4], queries: 150, attacks: ["pgd"], minRobustAccuracy: [] });
    const p = labels.probes[0]!;
    expect(p.attacks.map((a) => a.name)).toEqual(["hopskipjump", "hopskipjump"]);
    expect(p.attacks[1]!.robustAccuracy).toBeLessThanOrEqual(p.attacks[0]!.robustAccuracy);
    expect(p.attacks[0]!.queries).toBeLessThanOrEqual(10 * 170);
    expect(p["notes"]).toEqual(expect.arrayContaining(["pgd needs gradients; hopskipjump runs instead."]));
    const tfs = await runProbe({ model: `${base}/v1/models/digits:predict`, data: `${FIX}/digits_test.csv`, cwd: ROOT, samples: 40, eps: [0.1], queries: 5, minRobustAccuracy: [] });
    const onnx = await runProbe({ model: `${FIX}/mlp.onnx`, data: `${FIX}/digits_test.csv`, cwd: ROOT, samples: 40, eps: [0.1], attacks: ["fgsm"], minRobustAccuracy: [] });
    expect(tfs.probes[0]!.cleanAccuracy).toBe(onnx.probes[0]!.cleanAccuracy);
  });

  it("retries 503 answers, times out slow ones, and honours the rate limit", async () => {
    const flaky = await loadHttpModel(`${base}/v2/models/flaky/infer`, { retries: 3 }, 64, 10);
    expect(stats.flakyFailures).toBe(2);
    expect(flaky.numClasses).toBe(10);
    await expect(loadHttpModel(`${base}/v2/models/slow/infer`, { timeoutMs: 100, retries: 1 }, 64, 10)).rejects.toThrow(/did not answer within 100 ms/);
    const limited = await loadHttpModel(`${base}/v2/models/digits/infer`, { rateLimit: 20, batchSize: 1, concurrency: 8 }, 64, 10);
    const started = Date.now();
    await limited.predict(new Float32Array(6 * 64), 6);
    // Six requests at 20 per second: the last starts at least 250 ms after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });
});
