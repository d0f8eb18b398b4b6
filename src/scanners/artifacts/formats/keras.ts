// Keras models: the model config (JSON) from an .h5 file's `model_config` attribute or a
// .keras zip's config.json, plus what else the file carries that runs code (.py members).


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
  const { File: Hdf5File } = require("jsfive") as typeof import("jsfive"); // loaded on first use, not at start-up
  const file = new Hdf5File(ab, "model.h5");
  const attrs = file.attrs as Record<string, unknown>;
  const raw = attrs["model_config"];
  if (raw === undefined) return undefined;
  if (typeof raw === "string") return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString("utf8");
  if (Array.isArray(raw) && typeof raw[0] === "string") return raw[0];
  return String(raw);
}

/**
 * Model configs found in raw bytes, for HDF5 files the HDF5 reader cannot open: h5py stores the
 * `model_config` attribute as plain JSON text, so a file made unreadable on purpose still shows it.
 */
export function findConfigsInBytes(bytes: Uint8Array, maxConfigs = 8): unknown[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: unknown[] = [];
  let from = 0;
  while (found.length < maxConfigs) {
    const start = view.indexOf('{"class_name"', from, "latin1");
    if (start < 0) break;
    const end = jsonObjectEnd(view, start);
    from = start + 1;
    if (end < 0) continue;
    try {
      found.push(JSON.parse(view.toString("utf8", start, end)));
      from = end;
    } catch {
      /* not JSON after all */
    }
  }
  return found;
}

/** End (exclusive) of the JSON object starting at `start`, by brace matching outside strings; -1 if it does not close. */
function jsonObjectEnd(view: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  const limit = Math.min(view.length, start + 64 * 1024 * 1024);
  for (let k = start; k < limit; k++) {
    const c = view[k]!;
    if (inString) {
      if (c === 0x5c) k++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return k + 1;
  }
  return -1;
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
