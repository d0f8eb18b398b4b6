// NumPy .npy arrays (format 1.0-3.0): float and integer dtypes in either byte order, C or
// Fortran order, read as bytes (never through pickle: object arrays are refused). Rows are
// the first axis; images (N,H,W), (N,H,W,C) and (N,C,H,W) keep their shape for trigger positions.

import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { tableFromMatrix } from "./table-builder";
import { DatasetLoadError, type DatasetTable, type LoadHints, type LoadLimits } from "./types";

export interface NpyArray {
  dtype: string;
  shape: number[];
  fortranOrder: boolean;
  /** Values in C (row-major) order. */
  data: Float32Array;
}

const MAGIC = Buffer.from("\x93NUMPY", "latin1");

export function parseNpyHeader(buf: Buffer): { descr: string; fortranOrder: boolean; shape: number[]; dataOffset: number } {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new DatasetLoadError("not a .npy file (magic)");
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > buf.length) throw new DatasetLoadError("truncated .npy header");
  const header = buf.subarray(start, start + headerLen).toString("latin1");
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new DatasetLoadError("unreadable .npy header");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => Number(s.replace(/L$/, "")));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DatasetLoadError(`bad .npy shape (${shapeText})`);
  return { descr, fortranOrder: fortran === "True", shape, dataOffset: start + headerLen };
}

function reader(descr: string): { size: number; read: (buf: Buffer, off: number) => number } {
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw new DatasetLoadError(`unsupported .npy dtype ${descr} (numeric dtypes only; object arrays are never unpickled)`);
  const big = m[1] === ">";
  const kind = m[2]!;
  const size = Number(m[3]);
  const table: Record<string, (buf: Buffer, off: number) => number> = {
    f2: (b, o) => halfToFloat(big ? b.readUInt16BE(o) : b.readUInt16LE(o)),
    f4: (b, o) => (big ? b.readFloatBE(o) : b.readFloatLE(o)),
    f8: (b, o) => (big ? b.readDoubleBE(o) : b.readDoubleLE(o)),
    i1: (b, o) => b.readInt8(o),
    u1: (b, o) => b[o]!,
    b1: (b, o) => (b[o] ? 1 : 0),
    i2: (b, o) => (big ? b.readInt16BE(o) : b.readInt16LE(o)),
    u2: (b, o) => (big ? b.readUInt16BE(o) : b.readUInt16LE(o)),
    i4: (b, o) => (big ? b.readInt32BE(o) : b.readInt32LE(o)),
    u4: (b, o) => (big ? b.readUInt32BE(o) : b.readUInt32LE(o)),
    i8: (b, o) => Number(big ? b.readBigInt64BE(o) : b.readBigInt64LE(o)),
    u8: (b, o) => Number(big ? b.readBigUInt64BE(o) : b.readBigUInt64LE(o)),
  };
  const read = table[`${kind}${size}`];
  if (!read) throw new DatasetLoadError(`unsupported .npy dtype ${descr}`);
  return { size, read };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decodes a whole .npy buffer into C-order float32 values. */
export function parseNpy(buf: Buffer): NpyArray {
  const h = parseNpyHeader(buf);
  const { size, read } = reader(h.descr);
  const count = h.shape.reduce((a, b) => a * b, 1);
  if (h.dataOffset + count * size > buf.length) throw new DatasetLoadError(`.npy data is truncated (${count} values of ${size} bytes expected)`);
  const data = new Float32Array(count);
  if (!h.fortranOrder || h.shape.length <= 1) {
    for (let i = 0, o = h.dataOffset; i < count; i++, o += size) data[i] = read(buf, o);
  } else {
    // Fortran order: the first axis varies fastest. Walk the C-order index and compute the F offset.
    const dims = h.shape;
    const fStrides: number[] = [];
    let acc = 1;
    for (const d of dims) {
      fStrides.push(acc);
      acc *= d;
    }
    const idx = new Array<number>(dims.length).fill(0);
    for (let i = 0; i < count; i++) {
      let f = 0;
      for (let a = 0; a < dims.length; a++) f += idx[a]! * fStrides[a]!;
      data[i] = read(buf, h.dataOffset + f * size);
      for (let a = dims.length - 1; a >= 0; a--) {
        if (++idx[a]! < dims[a]!) break;
        idx[a] = 0;
      }
    }
  }
  return { dtype: h.descr, shape: h.shape, fortranOrder: h.fortranOrder, data };
}

/** Reads labels: a 1-D .npy, or text with one label per line (an optional header line is skipped). */
export async function readLabels(path: string, maxBytes: number): Promise<string[]> {
  const size = (await stat(path)).size;
  if (size > maxBytes) throw new DatasetLoadError(`labels file ${basename(path)} is larger than the in-memory limit`);
  const buf = await readFile(path);
  if (buf.subarray(0, 6).equals(MAGIC)) {
    const arr = parseNpy(buf);
    return Array.from(arr.data, (v) => String(v));
  }
  const lines = buf
    .toString("utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => l.split(/[,\t]/).pop()!.trim());
  if (lines.length > 1 && !Number.isFinite(Number(lines[0])) && Number.isFinite(Number(lines[1]))) lines.shift();
  return lines.map((l) => (Number.isFinite(Number(l)) ? String(Number(l)) : l));
}

/** Labels beside features when no hint names them: X.npy -> y.npy, name.npy -> name_labels.npy / name.labels.npy / labels.npy. */
export function findLabelsFile(featuresPath: string): string | undefined {
  const dir = dirname(featuresPath);
  const stem = basename(featuresPath).replace(/\.npy$/i, "");
  const candidates = [`${stem}_labels.npy`, `${stem}.labels.npy`, `${stem}_labels.txt`, `${stem}.labels.txt`, `${stem}_y.npy`];
  if (/^x(_|$)/i.test(stem)) candidates.push(`${stem.replace(/^x/i, "y")}.npy`, `${stem.replace(/^x/i, "Y")}.npy`);
  candidates.push("labels.npy", "labels.txt");
  for (const c of candidates) {
    const p = join(dir, c);
    if (p !== featuresPath && existsSync(p)) return p;
  }
  return undefined;
}

export async function loadNpy(path: string, hints: LoadHints, limits: LoadLimits): Promise<DatasetTable> {
  const size = (await stat(path)).size;
  if (size > limits.maxInMemoryBytes) throw new DatasetLoadError(`.npy of ${size} bytes is larger than the in-memory limit of ${limits.maxInMemoryBytes} bytes`);
  const arr = parseNpy(await readFile(path));
  const shape = arr.shape;
  if (shape.length < 1) throw new DatasetLoadError(".npy holds a scalar, not a dataset");
  const rows = shape[0]!;
  let cols = shape.slice(1).reduce((a, b) => a * b, 1);
  let data = arr.data;
  let imageShape: [number, number, number] | undefined;
  if (shape.length === 3) imageShape = [shape[1]!, shape[2]!, 1];
  else if (shape.length === 4) {
    if (shape[3]! <= 4) imageShape = [shape[1]!, shape[2]!, shape[3]!];
    else if (shape[1]! <= 4) {
      // (N, C, H, W) -> (N, H, W, C) so positions read the same way for every layout.
      const [c, h, w] = [shape[1]!, shape[2]!, shape[3]!];
      const out = new Float32Array(data.length);
      for (let n = 0; n < rows; n++)
        for (let ch = 0; ch < c; ch++)
          for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[n * cols + (y * w + x) * c + ch] = data[n * cols + (ch * h + y) * w + x]!;
      data = out;
      imageShape = [h, w, c];
    }
  }
  if (shape.length === 1) cols = 1;
  let names: string[];
  if (imageShape) {
    const [h, w, c] = imageShape;
    names = [];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) names.push(`x${x}_y${y}_c${ch}`);
  } else names = Array.from({ length: cols }, (_, j) => `f${j}`);
  const labelsPath = hints.labels ?? findLabelsFile(path);
  let labels: string[] | undefined;
  if (labelsPath) {
    const resolved = existsSync(labelsPath) ? labelsPath : join(dirname(path), labelsPath);
    labels = await readLabels(resolved, limits.maxInMemoryBytes);
    if (labels.length !== rows) throw new DatasetLoadError(`labels file ${basename(resolved)} has ${labels.length} labels for ${rows} rows`);
  }
  const table = tableFromMatrix("npy", data, rows, cols, names, labels);
  if (imageShape) table.imageShape = imageShape;
  return table;
}
