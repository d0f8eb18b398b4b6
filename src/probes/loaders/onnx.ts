// ONNX models: inference through ONNX Runtime (see ../onnx/runtime.ts); for gradients, the graph translated into
// tfjs operations, checked against onnxruntime on probe inputs before it is trusted.

import { readFileSync } from "node:fs";
import { initTf, tf } from "../backend";
import { product, type ProbeModel } from "../model";
import { parseOnnxModel } from "../onnx/proto";
import { translateGraph, unsupportedOperators } from "../onnx/translate";

import { loadOnnxRuntime } from "../onnx/runtime";
import { checkGradients, defaultGradientCheck } from "../onnx/gradient-check";

export function isOnnxFile(path: string): boolean {
  try {
    const buf = readFileSync(path);
    parseOnnxModel(buf);
    return buf.length > 0 && buf[0] === 0x08;
  } catch {
    return false;
  }
}

export interface OnnxLoadOptions {
  /** Rows used to check the translated graph against onnxruntime ([n, inputSize], values in the clip range). */
  checkRows?: { data: Float32Array; n: number };
  /** The finite-difference gradient spot check (on by default; false to skip, as benchmarks of the attack alone do not). */
  gradientCheck?: false | Partial<{ rows: number; coordinates: number; step: number; tolerance: number }>;
}

export async function loadOnnxModel(path: string, options: OnnxLoadOptions = {}): Promise<ProbeModel> {
  await initTf();
  const { ort } = loadOnnxRuntime();
  const bytes = readFileSync(path);
  const graph = parseOnnxModel(bytes);
  if (graph.inputs.length !== 1 || graph.outputs.length < 1) throw new Error(`the ONNX graph has ${graph.inputs.length} inputs; aigis probes single-input classifiers`);
  const input = graph.inputs[0]!;
  const inputShape = input.shape.slice(1);
  if (inputShape.length === 0 || inputShape.some((d) => d <= 0)) throw new Error(`the ONNX input ${input.name} has no fixed per-sample shape (${JSON.stringify(input.shape)})`);
  if (input.elemType !== 1) {
    const what = ELEMENT_TYPES[input.elemType] ?? `ONNX type ${input.elemType}`;
    const why = [6, 7].includes(input.elemType) ? " (token ids or categories: values that small perturbations cannot attack)" : "";
    throw new Error(`the ONNX input ${input.name} is ${what}, not a float input${why}; aigis probes classifiers of float32 features or images`);
  }
  // An export without a dynamic batch axis takes exactly this many rows per run (usually 1).
  const fixedBatch = input.shape[0] !== undefined && input.shape[0] > 0 ? input.shape[0] : 0;
  const inputSize = product(inputShape);
  // logSeverityLevel 3 (errors only): onnxruntime's own warnings (e.g. initializers listed as graph
  // inputs by older exporters) would otherwise go straight to stderr, past --quiet and the report.
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
  const outputName = graph.outputs[0]!.name;

  const runBatch = async (x: Float32Array, n: number): Promise<Float32Array> => {
    const feeds = { [input.name]: new ort.Tensor("float32", x, [n, ...inputShape]) };
    const res = await session.run(feeds, [outputName]);
    const out = res[outputName];
    if (!out) throw new Error(`onnxruntime returned no ${outputName}`);
    return Float32Array.from(out.data as Float32Array);
  };
  const runOrt = async (x: Float32Array, n: number): Promise<Float32Array> => {
    if (!fixedBatch) return runBatch(x, n);
    // Fixed batch: runs of exactly fixedBatch rows, the last one padded with zeros.
    const parts: Float32Array[] = [];
    for (let s = 0; s < n; s += fixedBatch) {
      const m = Math.min(fixedBatch, n - s);
      const chunk = new Float32Array(fixedBatch * inputSize);
      chunk.set(x.subarray(s * inputSize, (s + m) * inputSize));
      const out = await runBatch(chunk, fixedBatch);
      parts.push(out.subarray(0, (out.length / fixedBatch) * m));
    }
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return all;
  };
  const first = await runOrt(new Float32Array(inputSize), 1);
  const numClasses = first.length;

  const probe: ProbeModel = {
    format: "onnx",
    inputShape,
    inputSize,
    numClasses,
    labelsOnly: false,
    queries: 0,
    async predict(x, n) {
      probe.queries += n;
      return runOrt(x, n);
    },
    dispose() {
      void session.release();
    },
  };

  const missing = unsupportedOperators(graph);
  if (missing.length > 0) {
    probe.whiteBoxUnavailable = `the ONNX graph uses ${missing.join(", ")}, outside the operators aigis translates for gradients`;
    return probe;
  }
  let translated: ReturnType<typeof translateGraph>;
  try {
    translated = translateGraph(graph, fixedBatch ? { frozenBatch: fixedBatch } : {});
  } catch (e) {
    probe.whiteBoxUnavailable = `the ONNX graph could not be translated for gradients: ${(e as Error).message}`;
    return probe;
  }
  // A fixed-batch export may hold shapes frozen for that batch (x.view(x.size(0), -1) folded to
  // [1, 144]): the translation rebinds such Reshape targets to the run's batch (frozenBatch), and
  // runs whole batches when that reproduces onnxruntime on the check rows (it does for the
  // view-flatten idiom and reshape(-1, N)); otherwise it runs on chunks of that batch.
  let wholeBatch = !fixedBatch;
  const runTranslated = (x: tf.Tensor): tf.Tensor => (wholeBatch ? translated.run(x) : inChunks(x, fixedBatch, (c) => translated.run(c)));
  // Trust the translation only when it reproduces onnxruntime's outputs.
  const check = options.checkRows ?? randomRows(8, inputSize);
  const checkInput = (): tf.Tensor => tf.tensor2d(check.data, [check.n, inputSize]).reshape([check.n, ...inputShape]);
  const difference = (want: Float32Array, got: Float32Array): { worst: number; ok: boolean } => {
    let worst = 0;
    let scale = 1e-6;
    for (let k = 0; k < want.length; k++) {
      worst = Math.max(worst, Math.abs(want[k]! - (got[k] ?? NaN)));
      scale = Math.max(scale, Math.abs(want[k]!));
    }
    return { worst, ok: worst <= 1e-3 * scale + 1e-4 && got.length === want.length };
  };
  try {
    const want = await runOrt(check.data, check.n);
    if (fixedBatch && check.n > fixedBatch) {
      try {
        wholeBatch = difference(want, tf.tidy(() => translated.run(checkInput()).dataSync() as Float32Array)).ok;
      } catch {
        wholeBatch = false;
      }
    }
    const got = tf.tidy(() => runTranslated(checkInput()).dataSync() as Float32Array);
    const { worst, ok } = difference(want, got);
    if (!ok) {
      translated.dispose();
      probe.whiteBoxUnavailable = `the tfjs translation of the ONNX graph disagrees with onnxruntime (largest difference ${worst.toPrecision(3)})`;
      return probe;
    }
  } catch (e) {
    translated.dispose();
    probe.whiteBoxUnavailable = `the ONNX graph could not be translated for gradients: ${(e as Error).message}`;
    return probe;
  }
  const logits = (x: tf.Tensor2D): tf.Tensor2D => runTranslated(x.reshape([x.shape[0], ...inputShape])).reshape([x.shape[0], numClasses]) as tf.Tensor2D;
  // Trust its gradients only when they agree with central differences of onnxruntime's outputs.
  if (options.gradientCheck !== false) {
    const g = { ...defaultGradientCheck, ...(options.gradientCheck ?? {}) };
    // Random interior points, not the data: digit-like inputs put max-pooling on ties (flat
    // regions), where the one-sided derivatives differ and central differences average them.
    const points = randomRows(g.rows, inputSize);
    try {
      const r = await checkGradients(runOrt, logits, { data: points.data, n: points.n, size: inputSize, numClasses, coordinates: g.coordinates, step: g.step, tolerance: g.tolerance });
      probe.gradientCheck = { relativeError: r.relativeError, coordinates: r.checked };
      if (!r.ok) {
        translated.dispose();
        probe.whiteBoxUnavailable = `the gradients of the tfjs translation disagree with finite differences of onnxruntime's outputs (relative error ${r.relativeError.toPrecision(3)} over ${r.checked} coordinates)`;
        return probe;
      }
    } catch (e) {
      translated.dispose();
      const message = (e as Error).message;
      // tfjs's message when no differentiable path joins the output to the input.
      probe.whiteBoxUnavailable = /Cannot compute gradient of y=f\(x\) with respect to x/.test(message)
        ? "the model's outputs do not depend on its input through differentiable operations (the input is cast to integers or used as indices), so gradients cannot guide an attack"
        : `the gradients of the tfjs translation could not be checked: ${message}`;
      return probe;
    }
  }
  probe.logits = logits;
  if (fixedBatch) {
    probe.notes = [
      ...(probe.notes ?? []),
      wholeBatch
        ? `The ONNX input has a fixed batch of ${fixedBatch}: onnxruntime runs it ${fixedBatch} row(s) at a time, while the translation for gradients runs whole batches (checked against onnxruntime)`
        : `The ONNX input has a fixed batch of ${fixedBatch} and its graph only takes that batch: onnxruntime and the translation run ${fixedBatch} row(s) at a time, which makes attacks and the backdoor search much slower (export with a dynamic batch axis, dynamic_axes={"input": {0: "batch"}}, to avoid it)`,
    ];
  }
  const release = probe.dispose;
  probe.dispose = () => {
    translated.dispose();
    release();
  };
  return probe;
}

const ELEMENT_TYPES: Record<number, string> = { 2: "uint8", 3: "int8", 6: "int32", 7: "int64", 9: "bool", 10: "float16", 11: "float64", 16: "bfloat16" };

/** `run` on consecutive chunks of exactly `size` rows (the last padded with zeros), outputs concatenated per row. */
function inChunks(x: tf.Tensor, size: number, run: (chunk: tf.Tensor) => tf.Tensor): tf.Tensor {
  const n = x.shape[0]!;
  const rest = x.shape.slice(1);
  const parts: tf.Tensor[] = [];
  for (let s = 0; s < n; s += size) {
    const m = Math.min(size, n - s);
    let chunk = tf.slice(x, [s, ...rest.map(() => 0)], [m, ...rest]);
    if (m < size) chunk = tf.concat([chunk, tf.zeros([size - m, ...rest])], 0);
    const y = run(chunk);
    const rows = y.reshape([size, -1]);
    parts.push(m < size ? tf.slice(rows, [0, 0], [m, -1]) : rows);
  }
  return parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
}

function randomRows(n: number, size: number): { data: Float32Array; n: number } {
  // Deterministic pseudo-random rows in [0, 1): a fixed probe, not a sample of anything.
  const data = new Float32Array(n * size);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648;
  }
  return { data, n };
}
