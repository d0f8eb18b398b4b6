// Keras models: the model config (JSON) from an .h5 file's `model_config` attribute or a
// .keras zip's config.json, plus what else the file carries that runs code (.py members).

import { File as Hdf5File } from "jsfive";

export interface KerasDocument {
  container: "h5" | "keras-zip";
  /** Parsed model config; undefined when the file has none (weights-only .h5). */
  config: unknown;
  /** Member names ending in .py inside a .keras zip. */
  pythonMembers: string[];
}

/** The JSON text of the root `model_config` attribute of an HDF5 file, if there is one. */
export function readH5ModelConfig(bytes: Uint8Array): string | undefined {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const file = new Hdf5File(ab, "model.h5");
  const attrs = file.attrs as Record<string, unknown>;
  const raw = attrs["model_config"];
  if (raw === undefined) return undefined;
  if (typeof raw === "string") return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString("utf8");
  if (Array.isArray(raw) && typeof raw[0] === "string") return raw[0];
  return String(raw);
}

/** Every object in a config tree with the JSON path that leads to it. */
export function* walkConfig(node: unknown, path = "$", depth = 0): Generator<{ path: string; obj: Record<string, unknown> }> {
  if (depth > 200 || node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (let k = 0; k < node.length; k++) yield* walkConfig(node[k], `${path}[${k}]`, depth + 1);
    return;
  }
  const obj = node as Record<string, unknown>;
  yield { path, obj };
  for (const [key, value] of Object.entries(obj)) yield* walkConfig(value, `${path}.${key}`, depth + 1);
}

/** The layer name of a config object, for messages. */
export function layerName(obj: Record<string, unknown>): string {
  const cfg = obj["config"];
  if (cfg && typeof cfg === "object" && typeof (cfg as Record<string, unknown>)["name"] === "string") return (cfg as Record<string, string>)["name"]!;
  return typeof obj["name"] === "string" ? (obj["name"] as string) : "(unnamed)";
}
