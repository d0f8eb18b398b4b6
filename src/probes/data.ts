// Probe data: rows of features and integer labels. Reads the test split formats the probe
// needs (CSV with a label column; NPY features with a labels .npy beside them).

import { existsSync, readFileSync } from "node:fs";

export interface ProbeData {
  x: Float32Array;
  labels: Int32Array;
  n: number;
  /** Values per row. */
  size: number;
}

function parseNpy(buf: Buffer, what: string): { data: Float64Array; shape: number[] } {
  if (buf.length < 10 || buf.toString("latin1", 0, 6) !== "\x93NUMPY") throw new Error(`${what} is not an NPY file`);
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString("latin1", start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? "").split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (!descr || fortran) throw new Error(`${what}: only C-order NPY arrays of numbers are read`);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start + headerLen);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const kinds: Record<string, [number, (o: number) => number]> = {
    "<f4": [4, (o) => view.getFloat32(o, true)],
    "<f8": [8, (o) => view.getFloat64(o, true)],
    "<i8": [8, (o) => Number(view.getBigInt64(o, true))],
    "<i4": [4, (o) => view.getInt32(o, true)],
    "<i2": [2, (o) => view.getInt16(o, true)],
    "|u1": [1, (o) => view.getUint8(o)],
    "|i1": [1, (o) => view.getInt8(o)],
  };
  const kind = kinds[descr];
  if (!kind) throw new Error(`${what}: NPY dtype ${descr} is not read`);
  if (body.length < count * kind[0]) throw new Error(`${what}: NPY data is truncated`);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = kind[1](i * kind[0]);
  return { data, shape };
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The labels file beside an NPY features file: X.npy -> X_labels.npy, X_y.npy or y.npy. */
export function labelsFileFor(path: string): string | undefined {
  const base = path.replace(/\.npy$/i, "");
  return [`${base}_labels.npy`, `${base}_y.npy`, `${base}.labels.npy`].find((p) => existsSync(p));
}

export function loadProbeData(path: string, options: { labelColumn?: string; labelsPath?: string } = {}): ProbeData {
  const buf = readFileSync(path);
  if (buf.toString("latin1", 0, 6) === "\x93NUMPY") {
    const feats = parseNpy(buf, path);
    const labelsPath = options.labelsPath ?? labelsFileFor(path);
    if (!labelsPath) throw new Error(`${path} holds features only; give the labels as a .npy file named like ${path.replace(/\.npy$/i, "")}_labels.npy`);
    const labs = parseNpy(readFileSync(labelsPath), labelsPath);
    const n = feats.shape[0] ?? 0;
    if (labs.data.length !== n) throw new Error(`${labelsPath} has ${labs.data.length} labels for ${n} rows`);
    const size = n === 0 ? 0 : feats.data.length / n;
    return { x: Float32Array.from(feats.data), labels: Int32Array.from(labs.data), n, size };
  }
  const lines = buf.toString("utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = splitCsvLine(lines[0] ?? "").map((h) => h.trim());
  const labelColumn = options.labelColumn ?? "label";
  const li = header.indexOf(labelColumn);
  if (li < 0) throw new Error(`${path} has no column ${labelColumn} (use --label-column)`);
  const n = lines.length - 1;
  const size = header.length - 1;
  const x = new Float32Array(n * size);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const cells = splitCsvLine(lines[r + 1]!);
    if (cells.length !== header.length) throw new Error(`${path}: data row ${r} has ${cells.length} cells, the header ${header.length}`);
    let k = 0;
    for (let c = 0; c < cells.length; c++) {
      const v = Number(cells[c]);
      if (!Number.isFinite(v)) throw new Error(`${path}: data row ${r}, column ${header[c]} is not a number`);
      if (c === li) labels[r] = v;
      else x[r * size + k++] = v;
    }
  }
  return { x, labels, n, size };
}
