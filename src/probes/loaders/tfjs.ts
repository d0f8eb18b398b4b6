// TensorFlow.js layers and graph models from disk, read through a file IO handler (no tfjs-node needed).
// model.json and its weight manifest are checked against the shard files before tfjs sees them: a
// manifest is untrusted input, and tfjs would otherwise size buffers from whatever it declares.

import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep, isAbsolute } from "node:path";
import { initTf, tf } from "../backend";
import { product, type ProbeModel } from "../model";

interface ModelJsonFile {
  format?: string;
  modelTopology?: { node?: unknown[] } & Record<string, unknown>;
  weightsManifest?: tf.io.WeightsManifestConfig;
}

/** Bounds on what a model.json may make aigis read and allocate. */
export interface TfjsLoadLimits {
  /** Largest model.json read, in bytes (default 64 MiB). */
  maxModelJsonBytes?: number;
  /** Largest total of decoded weight bytes (float32 after dequantization; default 2 GiB). */
  maxWeightBytes?: number;
}

export const DEFAULT_TFJS_LIMITS: Required<TfjsLoadLimits> = { maxModelJsonBytes: 64 * 1024 * 1024, maxWeightBytes: 2 * 1024 * 1024 * 1024 };

/** Bytes per stored value for the dtypes a weight manifest may name. */
const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** model.json itself, or a folder holding one. */
export function resolveModelJson(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, "model.json") : path;
}

export function isTfjsModelJson(path: string): boolean {
  try {
    const file = resolveModelJson(path);
    if (statSync(file).size > DEFAULT_TFJS_LIMITS.maxModelJsonBytes) return false;
    const doc = JSON.parse(readFileSync(file, "utf8")) as ModelJsonFile;
    return typeof doc === "object" && doc !== null && typeof doc.modelTopology === "object" && Array.isArray(doc.weightsManifest);
  } catch {
    return false;
  }
}

function readModelJson(jsonPath: string, limits: Required<TfjsLoadLimits>): ModelJsonFile {
  if (!existsSync(jsonPath)) throw new Error(`${jsonPath} does not exist`);
  const size = statSync(jsonPath).size;
  if (size > limits.maxModelJsonBytes) throw new Error(`model.json is ${size} bytes, over the ${limits.maxModelJsonBytes}-byte limit (maxModelJsonBytes)`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(jsonPath, "utf8"));
  } catch (e) {
    throw new Error(`model.json is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || typeof (doc as ModelJsonFile).modelTopology !== "object" || (doc as ModelJsonFile).modelTopology === null) {
    throw new Error("model.json has no modelTopology object; it is not a TensorFlow.js model");
  }
  return doc as ModelJsonFile;
}

function shardPath(dir: string, p: unknown): string {
  if (typeof p !== "string" || p.length === 0) throw new Error(`the weight manifest names a shard path that is not a string: ${JSON.stringify(p)}`);
  const abs = resolve(dir, p);
  const rel = relative(dir, abs);
  if (rel.startsWith("..") || rel.includes(`..${sep}`) || isAbsolute(rel)) throw new Error(`weight shard ${p} lies outside the model folder`);
  return abs;
}

/**
 * Checks every manifest group against its shard files before anything is read: each weight's
 * shape and dtype, the bytes the group declares against the bytes its shards hold (a truncated,
 * missing or padded shard, or a manifest claiming more than the files, is an error), and the
 * decoded total against maxWeightBytes. tfjs decodes groups back to back, so totals are per group.
 */
export function checkWeightsManifest(manifest: unknown, dir: string, limits: Required<TfjsLoadLimits> = DEFAULT_TFJS_LIMITS): void {
  if (manifest === undefined) return;
  if (!Array.isArray(manifest)) throw new Error("weightsManifest is not a list");
  let decodedTotal = 0;
  manifest.forEach((group: unknown, g) => {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !Array.isArray(weights)) throw new Error(`weightsManifest group ${g + 1} lacks its paths or weights list`);
    let declared = 0;
    for (const w of weights as Array<Record<string, unknown>>) {
      const name = typeof w?.["name"] === "string" ? (w["name"] as string) : `#${declared}`;
      const shape = w?.["shape"];
      if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) throw new Error(`weight ${name} has an invalid shape ${JSON.stringify(shape)}`);
      const elements = (shape as number[]).reduce((a, b) => a * b, 1);
      if (!Number.isSafeInteger(elements)) throw new Error(`weight ${name} declares ${elements} elements, more than can be addressed`);
      const dtype = String(w["dtype"]);
      const quantization = w["quantization"] as { dtype?: unknown } | undefined;
      const stored = quantization !== undefined ? String(quantization?.dtype) : dtype;
      if (dtype === "string") throw new Error(`weight ${name} holds strings, which aigis does not load (classifier weights are numeric)`);
      if (!(dtype in STORED_BYTES) || !(stored in STORED_BYTES)) throw new Error(`weight ${name} has an unsupported dtype ${stored === dtype ? dtype : `${dtype} stored as ${stored}`}`);
      declared += elements * STORED_BYTES[stored]!;
      decodedTotal += elements * STORED_BYTES[dtype]!;
    }
    if (decodedTotal > limits.maxWeightBytes) throw new Error(`the weight manifest declares ${decodedTotal} bytes of weights, over the ${limits.maxWeightBytes}-byte limit (maxWeightBytes)`);
    let held = 0;
    for (const p of paths as unknown[]) {
      const abs = shardPath(dir, p);
      if (!existsSync(abs)) throw new Error(`weight shard ${String(p)} named in model.json is missing`);
      held += statSync(abs).size;
    }
    if (held !== declared) {
      throw new Error(
        `weightsManifest group ${g + 1} declares ${declared} bytes of weights but its ${paths.length} shard file(s) hold ${held} bytes` +
          (held < declared ? " (a shard is truncated or missing, or the manifest claims more than the files)" : " (the shards hold bytes the manifest does not describe)"),
      );
    }
  });
}

/** An IO handler that reads model.json and its weight shards from the local disk; shard paths may not leave the model's folder. */
export function fileIOHandler(modelJsonPath: string, limits: Required<TfjsLoadLimits> = DEFAULT_TFJS_LIMITS): tf.io.IOHandler {
  const dir = dirname(resolve(modelJsonPath));
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = readModelJson(modelJsonPath, limits) as tf.io.ModelJSON;
      checkWeightsManifest(json.weightsManifest, dir, limits);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const b = readFileSync(shardPath(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

function fixedShape(shape: ReadonlyArray<number | null> | undefined, what: string): number[] {
  const s = (shape ?? []).slice(1);
  if (s.length === 0 || s.some((d) => d === null || d === undefined || d < 0)) {
    throw new Error(`${what} has no fixed input shape (${JSON.stringify(shape)}); aigis needs one to feed data rows`);
  }
  return s as number[];
}

/** Keras 3 writes configs tfjs 4 cannot read (batch_shape for batch_input_shape, DTypePolicy objects, module/registered_name). */
function keras3Marker(topology: Record<string, unknown>): string | undefined {
  const version = typeof topology["keras_version"] === "string" ? (topology["keras_version"] as string) : "";
  if (/^3\./.test(version)) return `keras_version ${version}`;
  const text = JSON.stringify(topology);
  if (text.includes('"batch_shape"') && !text.includes('"batch_input_shape"')) return "InputLayer batch_shape";
  if (text.includes('"DTypePolicy"')) return "DTypePolicy dtype objects";
  return undefined;
}

/** Layer class names in a layers topology, nested models and wrapper layers (TimeDistributed, Bidirectional) included. */
function layerClassNames(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) layerClassNames(item, out);
  } else if (typeof node === "object" && node !== null) {
    const o = node as Record<string, unknown>;
    const config = o["config"] as Record<string, unknown> | undefined;
    if (typeof o["class_name"] === "string" && typeof config === "object" && config !== null && (Array.isArray(config["layers"]) || "name" in config)) {
      out.add(o["class_name"]);
    }
    if (typeof config === "object" && config !== null) {
      layerClassNames(config["layers"], out);
      layerClassNames(config["layer"], out);
    }
    if ("model_config" in o) layerClassNames(o["model_config"], out);
  }
  return out;
}

/**
 * Layer classes tfjs has no implementation for, found before tfjs is asked to build the model
 * (custom layers, Lambda, TFOpLambda: Python code that only Keras can run).
 */
function unsupportedLayers(topology: Record<string, unknown>): string[] {
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  return [...layerClassNames(topology)].filter((name) => !(name in known));
}

/** Graph-model ops that tfjs only runs through executeAsync (tfjs-converter's model_analysis lists). */
const ASYNC_ONLY_OPS = new Set([
  "Switch", "Merge", "Enter", "Exit", "NextIteration", "StatelessIf", "StatelessWhile", "If", "While",
  "NonMaxSuppressionV2", "NonMaxSuppressionV3", "NonMaxSuppressionV5", "Where",
  "HashTable", "HashTableV2", "LookupTableImport", "LookupTableImportV2", "LookupTableFind", "LookupTableFindV2", "LookupTableSize", "LookupTableSizeV2",
]);

/** The async-only ops a graph model.json uses, in its main graph or its function library. */
function asyncOnlyOps(topology: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const scan = (nodes: unknown): void => {
    if (!Array.isArray(nodes)) return;
    for (const n of nodes) {
      const op = (n as { op?: unknown })?.op;
      if (typeof op === "string" && ASYNC_ONLY_OPS.has(op)) found.add(op);
    }
  };
  scan(topology["node"]);
  const library = topology["library"] as { function?: Array<{ nodeDef?: unknown }> } | undefined;
  for (const fn of Array.isArray(library?.function) ? library.function : []) scan(fn.nodeDef);
  return [...found];
}

export async function loadTfjsModel(path: string, limitsIn: TfjsLoadLimits = {}): Promise<ProbeModel> {
  await initTf();
  const limits: Required<TfjsLoadLimits> = { ...DEFAULT_TFJS_LIMITS, ...limitsIn };
  const jsonPath = resolveModelJson(path);
  const doc = readModelJson(jsonPath, limits);
  const topology = doc.modelTopology!;
  const isGraph = doc.format === "graph-model" || Array.isArray(topology.node);
  checkWeightsManifest(doc.weightsManifest, dirname(resolve(jsonPath)), limits);
  let forward: (x: tf.Tensor) => tf.Tensor;
  /** Set for graph models with dynamic ops: they only run through executeAsync, which tf.grad cannot follow. */
  let forwardAsync: ((x: tf.Tensor) => Promise<tf.Tensor>) | undefined;
  let asyncNote = "";
  let inputShape: number[];
  let dispose: () => void;
  if (isGraph) {
    let model: tf.GraphModel;
    try {
      model = await tf.loadGraphModel(fileIOHandler(jsonPath, limits));
    } catch (e) {
      throw new Error(`TensorFlow.js could not load the graph model: ${(e as Error).message}`);
    }
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      model.dispose();
      throw new Error(`the graph model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; aigis probes single-input, single-output classifiers`);
    }
    inputShape = fixedShape(model.inputs[0]!.shape, "the graph model");
    forward = (x) => model.execute(x) as tf.Tensor;
    const dynamicOps = asyncOnlyOps(topology);
    if (dynamicOps.length > 0) {
      try {
        tf.tidy(() => forward(tf.zeros([1, ...inputShape])));
      } catch {
        // The graph holds control-flow or dynamic-shape ops on the way to its output: executeAsync runs it, without gradients.
        forwardAsync = async (x) => (await model.executeAsync(x)) as tf.Tensor;
        asyncNote = dynamicOps.join(", ");
      }
    }
    dispose = () => model.dispose();
  } else {
    const marker = keras3Marker(topology);
    if (marker) {
      throw new Error(
        `model.json was converted from a Keras 3 model (${marker}); TensorFlow.js 4 reads Keras 2 layer configs only. Re-export with Keras 2 (tf_keras), as a graph model, or as ONNX`,
      );
    }
    const unsupported = unsupportedLayers(topology);
    if (unsupported.length > 0) {
      throw new Error(
        `the layers model uses ${unsupported.join(", ")}, which TensorFlow.js does not provide (custom, Lambda and TFOpLambda layers hold Python code only Keras can run); aigis cannot load it without executing that code. Export it as a graph model (tensorflowjs_converter --output_format tfjs_graph_model) or as ONNX`,
      );
    }
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(fileIOHandler(jsonPath, limits));
    } catch (e) {
      throw new Error(`TensorFlow.js could not load the layers model: ${(e as Error).message}`);
    }
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      const counts = `${model.inputs.length} inputs and ${model.outputs.length} outputs`;
      model.dispose();
      throw new Error(`the layers model has ${counts}; aigis probes single-input, single-output classifiers`);
    }
    inputShape = fixedShape(model.inputs[0]!.shape, "the layers model");
    forward = (x) => model.apply(x, { training: false }) as tf.Tensor;
    dispose = () => model.dispose();
  }
  const inputSize = product(inputShape);
  const run = async (x: tf.Tensor): Promise<tf.Tensor> => (forwardAsync ? forwardAsync(x) : forward(x));
  let numClasses: number;
  const zeros = tf.zeros([1, ...inputShape]);
  try {
    const probeOutput = await run(zeros);
    numClasses = probeOutput.shape[1] ?? 0;
    probeOutput.dispose();
  } catch (e) {
    dispose();
    // e.g. an op tfjs does not implement (StatefulPartitionedCall left un-inlined, custom ops).
    throw new Error(`TensorFlow.js could not run the ${isGraph ? "graph" : "layers"} model on one zero input: ${(e as Error).message}`);
  } finally {
    zeros.dispose();
  }
  const probe: ProbeModel = {
    format: isGraph ? "tfjs-graph" : "tfjs-layers",
    inputShape,
    inputSize,
    numClasses,
    labelsOnly: false,
    queries: 0,
    async predict(x, n) {
      probe.queries += n;
      const input = tf.tensor2d(x, [n, inputSize]).reshape([n, ...inputShape]);
      const raw = await run(input);
      const out = raw.reshape([n, numClasses]);
      const data = (await out.data()) as Float32Array;
      tf.dispose([input, raw, out]);
      return data;
    },
    dispose,
  };
  if (forwardAsync) {
    probe.whiteBoxUnavailable = `the graph model has control-flow or dynamic-shape operations (${asyncNote}) that TensorFlow.js runs only through executeAsync, which gives no gradients`;
  } else {
    probe.logits = (x) => forward(x.reshape([x.shape[0], ...inputShape])).reshape([x.shape[0], numClasses]) as tf.Tensor2D;
  }
  return probe;
}
