// TensorFlow.js layers and graph models from disk, read through a file IO handler (no tfjs-node needed).

import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { initTf, tf } from "../backend";
import { product, type ProbeModel } from "../model";

interface ModelJsonFile {
  format?: string;
  modelTopology?: { node?: unknown[] } & Record<string, unknown>;
  weightsManifest?: tf.io.WeightsManifestConfig;
}

/** model.json itself, or a folder holding one. */
export function resolveModelJson(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, "model.json") : path;
}

export function isTfjsModelJson(path: string): boolean {
  try {
    const doc = JSON.parse(readFileSync(resolveModelJson(path), "utf8")) as ModelJsonFile;
    return typeof doc === "object" && doc !== null && typeof doc.modelTopology === "object" && Array.isArray(doc.weightsManifest);
  } catch {
    return false;
  }
}

/** An IO handler that reads model.json and its weight shards from the local disk; shard paths may not leave the model's folder. */
export function fileIOHandler(modelJsonPath: string): tf.io.IOHandler {
  const dir = dirname(resolve(modelJsonPath));
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = JSON.parse(readFileSync(modelJsonPath, "utf8")) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const abs = resolve(dir, p);
            const rel = relative(dir, abs);
            if (rel.startsWith("..") || rel.includes(`..${sep}`)) throw new Error(`weight shard ${p} lies outside the model folder`);
            const b = readFileSync(abs);
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

export async function loadTfjsModel(path: string): Promise<ProbeModel> {
  await initTf();
  const jsonPath = resolveModelJson(path);
  const doc = JSON.parse(readFileSync(jsonPath, "utf8")) as ModelJsonFile;
  const isGraph = doc.format === "graph-model" || Array.isArray(doc.modelTopology?.node);
  let forward: (x: tf.Tensor) => tf.Tensor;
  let inputShape: number[];
  let dispose: () => void;
  if (isGraph) {
    const model = await tf.loadGraphModel(fileIOHandler(jsonPath));
    if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Error(`the graph model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; aigis probes single-input, single-output classifiers`);
    inputShape = fixedShape(model.inputs[0]!.shape, "the graph model");
    forward = (x) => model.execute(x) as tf.Tensor;
    dispose = () => model.dispose();
  } else {
    const model = await tf.loadLayersModel(fileIOHandler(jsonPath));
    if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Error(`the layers model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; aigis probes single-input, single-output classifiers`);
    inputShape = fixedShape(model.inputs[0]!.shape, "the layers model");
    forward = (x) => model.apply(x, { training: false }) as tf.Tensor;
    dispose = () => model.dispose();
  }
  const inputSize = product(inputShape);
  const numClasses = tf.tidy(() => forward(tf.zeros([1, ...inputShape])).shape[1] ?? 0);
  const probe: ProbeModel = {
    format: isGraph ? "tfjs-graph" : "tfjs-layers",
    inputShape,
    inputSize,
    numClasses,
    labelsOnly: false,
    queries: 0,
    async predict(x, n) {
      probe.queries += n;
      const out = tf.tidy(() => forward(tf.tensor2d(x, [n, inputSize]).reshape([n, ...inputShape])).reshape([n, numClasses]));
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
    logits: (x) => forward(x.reshape([x.shape[0], ...inputShape])).reshape([x.shape[0], numClasses]) as tf.Tensor2D,
    dispose,
  };
  return probe;
}
