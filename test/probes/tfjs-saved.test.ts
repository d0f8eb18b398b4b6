/** @jest-environment ./test/probes/ort-environment.js */
// TensorFlow.js models as real tools write them: saved by tfjs's own model.save, and laid out as
// tensorflowjs_converter writes Keras 2 models (quantized, sharded). Made by
// fixtures/models/tfjs_saved/make_tfjs_saved.js, which stores reference figures computed with tfjs
// gradients independently of aigis's attack code. Then the hostile and unsupported cases.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initTf, tf } from "../../src/probes/backend";
import { fileIOHandler, loadTfjsModel } from "../../src/probes/loaders/tfjs";
import { loadProbeData } from "../../src/probes/data";
import { runProbe } from "../../src/probes/run";

const ROOT = join(__dirname, "../..");
const REL = "fixtures/models/tfjs_saved";
const FIX = join(ROOT, REL);
interface Reference {
  cleanAccuracy?: number;
  predictions?: number[];
  floatCleanAccuracy?: number;
  floatPredictions?: number[];
  layers?: string[];
  quantization?: string | null;
  shards?: number;
  fgsm: Array<{ eps: number; robustAccuracy: number }>;
}
const ref = JSON.parse(readFileSync(join(FIX, "reference.json"), "utf8")) as { models: Record<string, Reference> };

function argmax(scores: Float32Array, n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (scores[i * k + c]! > scores[i * k + best]!) best = c;
    out.push(best);
  }
  return out;
}

/** A copy of a fixture folder in a temp folder, to damage. */
function copyOf(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "aigis-tfjs-")), name);
  mkdirSync(dir);
  for (const f of readdirSync(join(FIX, name))) copyFileSync(join(FIX, name, f), join(dir, f));
  return dir;
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
  module?: string;
  registered_name?: null;
}
/** The parts of a layers model.json the tests read or damage. */
interface ModelDoc {
  generatedBy?: string;
  modelTopology: { keras_version?: string; model_config: { config: { layers: KerasLayer[] } } };
  weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[] }> }>;
}

function editJson(dir: string, edit: (doc: ModelDoc) => void): void {
  const doc = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as ModelDoc;
  edit(doc);
  writeFileSync(join(dir, "model.json"), JSON.stringify(doc));
}

/** A folder holding a converter-style graph model.json: input x [-1, 64] first, then `nodes`. */
function graphModelDir(nodes: unknown[], weightsManifest: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), "aigis-tfjs-"));
  const graph = {
    format: "graph-model",
    generatedBy: "2.15.0",
    convertedBy: "TensorFlow.js Converter v4.17.0",
    modelTopology: {
      node: [{ name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: { dim: [{ size: "-1" }, { size: "64" }] } } } }, ...nodes],
      library: {},
      versions: { producer: 1482 },
    },
    weightsManifest,
  };
  writeFileSync(join(dir, "model.json"), JSON.stringify(graph));
  return dir;
}

describe("tfjs models saved by tfjs and by the converter", () => {
  let data: Awaited<ReturnType<typeof loadProbeData>>;
  beforeAll(async () => {
    data = await loadProbeData(join(ROOT, "fixtures/models/digits_test.csv"));
  });

  it("the fixtures carry the layer types they are meant to cover", () => {
    const layers = new Set(Object.values(ref.models).flatMap((m) => m.layers ?? []));
    for (const cls of ["Dense", "Dropout", "Conv2D", "BatchNormalization", "MaxPooling2D", "Flatten", "Add", "Concatenate", "DepthwiseConv2D", "SeparableConv2D", "GlobalAveragePooling2D", "Rescaling"]) {
      expect(layers).toContain(cls);
    }
  });

  const saved = ["mlp_saved", "cnn_saved", "functional_saved", "separable_saved", "keras2_mlp_float32", "keras2_mlp_uint8", "keras2_cnn_float32", "keras2_cnn_float16", "keras2_functional_float32", "keras2_functional_uint16"];
  for (const name of saved) {
    it(`${name}: loads, predicts as tfjs did, and FGSM/PGD run white-box agreeing with the generator's FGSM`, async () => {
      const r = ref.models[name]!;
      const model = await loadTfjsModel(join(FIX, name));
      expect(model.format).toBe("tfjs-layers");
      expect(model.logits).toBeDefined();
      const pred = argmax(await model.predict(data.x, data.n), data.n, model.numClasses);
      model.dispose();
      const want = r.predictions ?? r.floatPredictions!;
      const agree = pred.filter((p, i) => p === want[i]).length / data.n;
      // Float models reproduce tfjs's own predictions; quantized copies stay within quantization error of the float model.
      expect(agree).toBeGreaterThanOrEqual(r.quantization ? 0.97 : 1);

      const report = await runProbe({ model: `${REL}/${name}`, data: "fixtures/models/digits_test.csv", cwd: ROOT, attacks: ["fgsm", "pgd"], eps: [0.1], clip: [0, 1], minRobustAccuracy: [] });
      const probe = report.probes[0]!;
      expect(probe.format).toBe("tfjs-layers");
      const cleanWant = r.cleanAccuracy ?? r.floatCleanAccuracy!;
      expect(Math.abs(probe.cleanAccuracy - cleanWant)).toBeLessThanOrEqual(r.quantization ? 0.02 : 0.003);
      const fgsm = probe.attacks.find((a) => a.name === "fgsm")!;
      const pgd = probe.attacks.find((a) => a.name === "pgd")!;
      const fgsmWant = r.fgsm.find((f) => f.eps === 0.1)!.robustAccuracy;
      expect(Math.abs(fgsm.robustAccuracy - fgsmWant)).toBeLessThanOrEqual(r.quantization ? 0.05 : 0.02);
      // PGD is at least as strong as one FGSM step (small slack for its smaller steps).
      expect(pgd.robustAccuracy).toBeLessThanOrEqual(fgsm.robustAccuracy + 0.02);
    });
  }

  it("converter layout: Keras 2 topology, several shards, and quantized weights that dequantize to the float weights", async () => {
    await initTf();
    for (const [q, f] of [["keras2_mlp_uint8", "keras2_mlp_float32"], ["keras2_cnn_float16", "keras2_cnn_float32"], ["keras2_functional_uint16", "keras2_functional_float32"]] as const) {
      const doc = JSON.parse(readFileSync(join(FIX, q, "model.json"), "utf8")) as ModelDoc;
      expect(doc.modelTopology.keras_version).toMatch(/^2\./);
      expect(doc.modelTopology.model_config.config.layers[0]!.class_name).toBe("InputLayer");
      expect(["Sequential", "Functional"]).toContain((doc.modelTopology.model_config as { class_name?: string }).class_name);
      expect(doc.weightsManifest[0]!.paths.length).toBeGreaterThan(1);
      const quantArt = await fileIOHandler(join(FIX, q, "model.json")).load!();
      const floatArt = await fileIOHandler(join(FIX, f, "model.json")).load!();
      const quant = tf.io.decodeWeights(quantArt.weightData!, quantArt.weightSpecs!);
      const float = tf.io.decodeWeights(floatArt.weightData!, floatArt.weightSpecs!);
      for (const spec of quantArt.weightSpecs!) {
        const a = quant[spec.name]!.dataSync();
        const b = float[spec.name]!.dataSync();
        expect(a.length).toBe(b.length);
        // uint8/uint16: half a quantization step; float16: its 11-bit mantissa.
        const affine = spec.quantization?.dtype === "uint8" || spec.quantization?.dtype === "uint16";
        const bound = affine ? spec.quantization!.scale! / 2 + 1e-6 : undefined;
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(bound ?? Math.abs(b[i]!) * 2 ** -10 + 1e-7);
      }
      tf.dispose([...Object.values(quant), ...Object.values(float)]);
    }
  });
});

describe("tfjs models aigis cannot or must not load", () => {
  it("a truncated shard is named before tfjs reads anything", async () => {
    const dir = copyOf("keras2_mlp_uint8");
    truncateSync(join(dir, "group1-shard3of3.bin"), 100);
    await expect(loadTfjsModel(dir)).rejects.toThrow(/declares 2410 bytes of weights but its 3 shard file\(s\) hold 2148 bytes \(a shard is truncated/);
  });

  it("a missing shard is named", async () => {
    const dir = copyOf("keras2_mlp_uint8");
    rmSync(join(dir, "group1-shard2of3.bin"));
    await expect(loadTfjsModel(dir)).rejects.toThrow(/weight shard group1-shard2of3.bin named in model.json is missing/);
  });

  it("a manifest larger than its files is refused, and a 1e12-element weight never reaches tfjs", async () => {
    const dir = copyOf("mlp_saved");
    editJson(dir, (d) => {
      d.weightsManifest[0]!.weights[0]!.shape = [64, 33];
    });
    await expect(loadTfjsModel(dir)).rejects.toThrow(/declares 9896 bytes of weights but its 1 shard file\(s\) hold 9640 bytes/);
    editJson(dir, (d) => {
      d.weightsManifest[0]!.weights[0]!.shape = [1000000, 1000000];
    });
    await expect(loadTfjsModel(dir)).rejects.toThrow(/declares 4000000001448 bytes of weights, over the 2147483648-byte limit \(maxWeightBytes\)/);
    editJson(dir, (d) => {
      d.weightsManifest[0]!.weights[0]!.shape = [64, -32];
    });
    await expect(loadTfjsModel(dir)).rejects.toThrow(/invalid shape/);
    // The limit is configurable.
    await expect(loadTfjsModel(join(FIX, "mlp_saved"), { maxWeightBytes: 4096 })).rejects.toThrow(/over the 4096-byte limit/);
    await expect(runProbe({ model: `${REL}/mlp_saved`, data: "fixtures/models/digits_test.csv", cwd: ROOT, tfjsLimits: { maxWeightBytes: 4096 } })).rejects.toThrow(/over the 4096-byte limit/);
  });

  it("shards outside the model folder and oversized or malformed model.json are refused", async () => {
    const dir = copyOf("mlp_saved");
    editJson(dir, (d) => {
      d.weightsManifest[0]!.paths = ["../../weights.bin"];
    });
    await expect(loadTfjsModel(dir)).rejects.toThrow(/lies outside the model folder/);
    await expect(loadTfjsModel(join(FIX, "mlp_saved"), { maxModelJsonBytes: 100 })).rejects.toThrow(/over the 100-byte limit \(maxModelJsonBytes\)/);
    writeFileSync(join(dir, "model.json"), '{"modelTopology": {"class_name": ');
    await expect(loadTfjsModel(dir)).rejects.toThrow(/model.json is not valid JSON/);
  });

  it("a Lambda or TFOpLambda layer (Python code) gives a clear error", async () => {
    for (const cls of ["Lambda", "TFOpLambda"]) {
      const dir = copyOf("keras2_mlp_float32");
      editJson(dir, (d) => {
        d.modelTopology.model_config.config.layers.splice(2, 0, { class_name: cls, config: { name: "lambda", trainable: true, dtype: "float32", function: ["4wEAAAAAAAAAAAAAAAEAAAAC", null, null], function_type: "lambda", module: "__main__" } });
      });
      await expect(loadTfjsModel(dir)).rejects.toThrow(new RegExp(`uses ${cls}, which TensorFlow.js does not provide`));
    }
  });

  it("a Keras 3 model.json gives a clear error instead of a tfjs stack", async () => {
    const dir = copyOf("keras2_mlp_float32");
    editJson(dir, (d) => {
      d.modelTopology.keras_version = "3.3.3";
      d.generatedBy = "keras v3.3.3";
      for (const layer of d.modelTopology.model_config.config.layers) {
        layer.module = "keras.layers";
        layer.registered_name = null;
        const c = layer.config;
        if (c["batch_input_shape"]) {
          c["batch_shape"] = c["batch_input_shape"];
          delete c["batch_input_shape"];
        }
        c["dtype"] = { module: "keras", class_name: "DTypePolicy", config: { name: "float32" }, registered_name: null };
      }
    });
    await expect(loadTfjsModel(dir)).rejects.toThrow(/converted from a Keras 3 model \(keras_version 3\.3\.3\).*Keras 2/);
    // Without the version string, the config itself gives it away.
    editJson(dir, (d) => {
      delete d.modelTopology.keras_version;
    });
    await expect(loadTfjsModel(dir)).rejects.toThrow(/Keras 3 model \(InputLayer batch_shape\)/);
  });

  it("a multi-input model saved by tfjs is refused with its input count", async () => {
    await initTf();
    const a = tf.input({ shape: [4] });
    const b = tf.input({ shape: [4] });
    const out = tf.layers.dense({ units: 3, activation: "softmax" }).apply(tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: out });
    const dir = mkdtempSync(join(tmpdir(), "aigis-tfjs-"));
    await model.save(
      tf.io.withSaveHandler(async (art) => {
        writeFileSync(join(dir, "model.json"), JSON.stringify({ modelTopology: art.modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights: art.weightSpecs }], format: art.format, generatedBy: art.generatedBy, convertedBy: art.convertedBy }));
        writeFileSync(join(dir, "weights.bin"), Buffer.from(art.weightData as ArrayBuffer));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    model.dispose();
    await expect(loadTfjsModel(dir)).rejects.toThrow(/the layers model has 2 inputs and 1 outputs; aigis probes single-input/);
  });

  it("a graph model with a dynamic op runs through executeAsync, black-box, with the reason reported", async () => {
    // A converter-style graph: logits = x.W + 0 * sum(cast(where(x > 0))). Where has a data-dependent
    // shape, so tfjs refuses execute() and needs executeAsync(), as it does for SavedModels with
    // control flow or NonMaxSuppression.
    const w = new Float32Array(640).map((_, i) => ((((i >> 4) * 7 + (i % 10) * 3) % 11) - 5) / 10);
    const dim = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
    const constant = (name: string, dtype: string, shape: number[]) => ({ name, op: "Const", attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: dim(...shape) } } } });
    const dir = graphModelDir(
      [
        constant("w", "DT_FLOAT", [64, 10]),
        constant("zero", "DT_FLOAT", []),
        constant("axes", "DT_INT32", [2]),
        { name: "logits", op: "MatMul", input: ["x", "w"], attr: { transpose_a: { b: false }, transpose_b: { b: false }, T: { type: "DT_FLOAT" } } },
        { name: "positive", op: "Greater", input: ["x", "zero"], attr: { T: { type: "DT_FLOAT" } } },
        { name: "where", op: "Where", input: ["positive"], attr: { T: { type: "DT_BOOL" } } },
        { name: "count", op: "Cast", input: ["where"], attr: { SrcT: { type: "DT_INT64" }, DstT: { type: "DT_FLOAT" } } },
        { name: "total", op: "Sum", input: ["count", "axes"], attr: { keep_dims: { b: false }, T: { type: "DT_FLOAT" }, Tidx: { type: "DT_INT32" } } },
        { name: "nothing", op: "Mul", input: ["total", "zero"], attr: { T: { type: "DT_FLOAT" } } },
        { name: "Identity", op: "AddV2", input: ["logits", "nothing"], attr: { T: { type: "DT_FLOAT" } } },
      ],
      [{ paths: ["group1-shard1of1.bin"], weights: [{ name: "w", shape: [64, 10], dtype: "float32" }, { name: "zero", shape: [], dtype: "float32" }, { name: "axes", shape: [2], dtype: "int32" }] }],
    );
    writeFileSync(join(dir, "group1-shard1of1.bin"), Buffer.concat([Buffer.from(w.buffer), Buffer.from(new Float32Array([0]).buffer), Buffer.from(new Int32Array([0, 1]).buffer)]));
    const model = await loadTfjsModel(dir);
    expect(model.format).toBe("tfjs-graph");
    expect(model.logits).toBeUndefined();
    expect(model.whiteBoxUnavailable).toMatch(/\(Where\) that TensorFlow.js runs only through executeAsync/);
    const x = new Float32Array(128).map((_, i) => (i % 5) / 4);
    const scores = await model.predict(x, 2);
    for (let k = 0; k < 10; k++) {
      let want = 0;
      for (let i = 0; i < 64; i++) want += x[64 + i]! * w[i * 10 + k]!;
      expect(scores[10 + k]).toBeCloseTo(want, 4);
    }
    model.dispose();
    const report = await runProbe({ model: dir, data: "fixtures/models/digits_test.csv", cwd: ROOT, samples: 20, attacks: "auto", eps: [0.1], queries: 50, minRobustAccuracy: [] });
    const probe = report.probes[0]!;
    expect(probe.attacks.map((a) => a.name)).not.toContain("fgsm");
    expect(probe.attacks.map((a) => a.name)).not.toContain("pgd");
    expect(probe.attacks.length).toBeGreaterThan(0);
    expect(JSON.stringify(probe["notes"])).toMatch(/executeAsync/);
  });

  it("a graph model with an op tfjs does not implement gives a clear error", async () => {
    const dir = graphModelDir(
      [
        { name: "StatefulPartitionedCall", op: "StatefulPartitionedCall", input: ["x"], attr: { f: { func: { name: "__inference_call_123" } }, Tin: { list: { type: ["DT_FLOAT"] } }, Tout: { list: { type: ["DT_FLOAT"] } } } },
        { name: "Identity", op: "Identity", input: ["StatefulPartitionedCall"], attr: { T: { type: "DT_FLOAT" } } },
      ],
      [],
    );
    await expect(loadTfjsModel(dir)).rejects.toThrow(/TensorFlow.js could not (load|run) the graph model.*StatefulPartitionedCall/);
  });
});
