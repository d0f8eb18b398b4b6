// Content detectors for model formats: what core's sniffer cannot know about model files.

import { constants as zlibConstants, inflateSync } from "node:zlib";
import type { ContentDetector, FormatDeclaration } from "../../types";
import { isJson, startsWith } from "../../core/sniff";
import { listZip } from "./archive/zip";
import { compressionOf } from "./archive/decompress";
import { looksLikePickle } from "./pickle/machine";

export const ARTIFACT_FORMATS: ReadonlyArray<FormatDeclaration> = [
  { kind: "pickle", category: "model", description: "Python pickle stream (also joblib and raw torch.save)" },
  { kind: "pytorch-zip", category: "model", description: "PyTorch checkpoint (zip with data.pkl)" },
  { kind: "numpy", category: "model", description: "NumPy .npy array" },
  { kind: "hdf5", category: "model", description: "HDF5 file (Keras .h5)" },
  { kind: "onnx", category: "model", description: "ONNX ModelProto (protobuf)" },
  { kind: "tf-saved-model", category: "model", description: "TensorFlow SavedModel saved_model.pb (protobuf)" },
  { kind: "safetensors", category: "model", description: "safetensors tensors with a JSON header" },
  { kind: "gguf", category: "model", description: "GGUF model (llama.cpp)" },
  { kind: "tfjs-model", category: "model", description: "TensorFlow.js model.json" },
  { kind: "zlib", category: "container", description: "raw zlib stream (joblib compression)" },
  { kind: "lzma", category: "container", description: "lzma-alone stream (joblib compression)" },
];

/** Reads a protobuf varint; undefined when malformed or past the end. */
function varint(buf: Buffer, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) return undefined;
    const b = buf[pos + i]!;
    value += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  return undefined;
}

/** Walks top-level protobuf fields over the head; returns the field numbers seen, or undefined if the bytes are not protobuf. */
function protobufFields(head: Buffer, totalSize: number): Array<{ field: number; wire: number; value?: number }> | undefined {
  const fields: Array<{ field: number; wire: number; value?: number }> = [];
  let p = 0;
  while (p < head.length) {
    const key = varint(head, p);
    if (!key) return head.length < totalSize && fields.length > 0 ? fields : undefined;
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    if (field === 0 || field > 1000) return undefined;
    p = key.next;
    if (wire === 0) {
      const v = varint(head, p);
      if (!v) return head.length < totalSize ? fields : undefined;
      fields.push({ field, wire, value: v.value });
      p = v.next;
    } else if (wire === 2) {
      const len = varint(head, p);
      if (!len) return head.length < totalSize ? fields : undefined;
      if (len.next + len.value > totalSize) return undefined;
      fields.push({ field, wire });
      p = len.next + len.value;
    } else if (wire === 1) {
      fields.push({ field, wire });
      p += 8;
    } else if (wire === 5) {
      fields.push({ field, wire });
      p += 4;
    } else {
      return undefined;
    }
    if (p > totalSize) return undefined;
  }
  return fields;
}

function sniffProtobuf(head: Buffer, size: number): "onnx" | "tf-saved-model" | undefined {
  // ONNX ModelProto starts with ir_version (field 1, varint) and carries graph (7) / opset_import (8).
  // TensorFlow SavedModel starts with saved_model_schema_version (1) then meta_graphs (2) only.
  if (head[0] !== 0x08) return undefined;
  const fields = protobufFields(head, size);
  if (!fields || fields.length < 2) return undefined;
  const numbers = new Set(fields.map((f) => f.field));
  const first = fields[0]!;
  if (first.field !== 1 || first.wire !== 0) return undefined;
  if ((numbers.has(7) || numbers.has(8)) && [...numbers].every((n) => n <= 20) && (first.value ?? 99) <= 20) return "onnx";
  if ([...numbers].every((n) => n === 1 || n === 2) && fields.filter((f) => f.field === 2).every((f) => f.wire === 2)) return "tf-saved-model";
  return undefined;
}

function safetensors(head: Buffer, size: number): "safetensors" | undefined {
  // safetensors: u64 header length, then a JSON object that fits in the file.
  if (head.length < 10) return undefined;
  const headerLen = Number(head.readBigUInt64LE(0));
  if (headerLen > 1 && headerLen <= size - 8 && head[8] === 0x7b /* { */) {
    const end = Math.min(head.length, 8 + headerLen);
    const json = head.subarray(8, end).toString("utf8");
    if (end === 8 + headerLen ? isJson(json.trimEnd()) : /^\{\s*"/.test(json)) return "safetensors";
  }
  // A header length past the end of the file is a malformed safetensors file, not an unknown one.
  if (headerLen > size - 8 && head[8] === 0x7b && /^\{\s*"(__metadata__|[^"]{1,200}"\s*:\s*\{\s*"(dtype|shape|data_offsets)")/.test(head.subarray(8, 512).toString("utf8"))) return "safetensors";
  return undefined;
}

function inflatesCleanly(head: Buffer): boolean {
  try {
    return inflateSync(head.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 }).length > 0;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
  }
}

export const ARTIFACT_DETECTORS: ReadonlyArray<ContentDetector> = [
  {
    name: "pytorch-zip",
    order: 100,
    refines: ["zip"],
    async detect({ file }) {
      // PyTorch checkpoints are zips whose members sit under one folder and include data.pkl.
      try {
        const { entries } = await listZip(file, 100_000);
        // Local header names count too: PyTorch reads those when the central directory disagrees.
        const names = entries.flatMap((e) => (e.localName !== undefined ? [e.name, e.localName] : [e.name]));
        if (names.some((n) => /(^|\/)data\.pkl$/.test(n)) && names.some((n) => /(^|\/)(data\/\d+|version|byteorder|\.data\/version)$/.test(n))) return "pytorch-zip";
      } catch {
        /* unreadable zip: still a zip */
      }
      return undefined;
    },
  },
  { name: "numpy", order: 100, refines: "*", detect: ({ head }) => (startsWith(head, "\x93NUMPY") ? "numpy" : undefined) },
  { name: "hdf5", order: 101, refines: "*", detect: ({ head }) => (startsWith(head, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) ? "hdf5" : undefined) },
  { name: "gguf", order: 102, refines: "*", detect: ({ head }) => (startsWith(head, "GGUF") ? "gguf" : undefined) },
  { name: "safetensors", order: 150, refines: "*", detect: ({ head, size }) => safetensors(head, size) },
  { name: "pickle", order: 200, refines: "*", detect: ({ head, size }) => (looksLikePickle(head, size) ? "pickle" : undefined) },
  { name: "protobuf-model", order: 210, refines: "*", detect: ({ head, size }) => sniffProtobuf(head, size) },
  {
    name: "joblib-compression",
    order: 220,
    refines: "*",
    detect({ head }) {
      // Raw zlib and lzma-alone streams (joblib's compressors) have weak magic: require a clean decode of the head.
      const compression = compressionOf(head);
      if (compression === "zlib" && inflatesCleanly(head)) return "zlib";
      if (compression === "lzma") return "lzma";
      return undefined;
    },
  },
  {
    name: "tfjs-model",
    order: 310,
    refines: ["json"],
    detect({ json, text, head, size }) {
      if (json && typeof json === "object") {
        const o = json as Record<string, unknown>;
        if ("modelTopology" in o || ("weightsManifest" in o && "format" in o)) return "tfjs-model";
        return undefined;
      }
      // Large JSON: judge by the keys seen in the head.
      if (head.length < size && text !== undefined && /"modelTopology"\s*:/.test(text)) return "tfjs-model";
      return undefined;
    },
  },
];
