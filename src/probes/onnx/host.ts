// Shape arithmetic on the host. Exported graphs compute shapes at run time (x.view(x.size(0), -1)
// becomes Shape -> Gather -> Unsqueeze -> Concat -> Reshape); the translation evaluates those
// subgraphs here, on plain numbers, at the concrete input shape of each call, so every shape a
// tensor operation needs is a constant by the time it runs. Nothing here is differentiated.

export type HostType = "float" | "int" | "bool";

/** A small array of numbers with a shape: shapes, indices, masks, scalars. */
export interface HostValue {
  kind: "host";
  values: number[];
  dims: number[];
  dtype: HostType;
}

/** Host arrays larger than this are not built (a graph that needs one is translated with tensors). */
export const MAX_HOST_ELEMENTS = 1 << 20;

export function host(values: number[], dims: number[], dtype: HostType): HostValue {
  return { kind: "host", values, dims, dtype };
}

export function size(dims: ReadonlyArray<number>): number {
  return dims.reduce((a, b) => a * b, 1);
}

function strides(dims: ReadonlyArray<number>): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let d = dims.length - 2; d >= 0; d--) s[d] = s[d + 1]! * dims[d + 1]!;
  return s;
}

/** Numpy broadcasting of two shapes. */
export function broadcastShapes(a: ReadonlyArray<number>, b: ReadonlyArray<number>): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const x = a[a.length - rank + k] ?? 1;
    const y = b[b.length - rank + k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a.join(",")}] and [${b.join(",")}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element-wise n-ary operation with broadcasting. */
export function elementwise(inputs: HostValue[], dtype: HostType, fn: (...v: number[]) => number): HostValue {
  const dims = inputs.map((v) => v.dims).reduce((a, b) => broadcastShapes(a, b), [] as number[]);
  const n = size(dims);
  if (n > MAX_HOST_ELEMENTS) throw new Error("host value too large");
  const outStrides = strides(dims);
  const inStrides = inputs.map((v) => {
    const s = strides(v.dims);
    // Stride 0 along broadcast axes; aligned to the right.
    return dims.map((_, k) => {
      const j = k - (dims.length - v.dims.length);
      return j < 0 || v.dims[j] === 1 ? 0 : s[j]!;
    });
  });
  const values = new Array<number>(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < inputs.length; a++) {
      let off = 0;
      let rem = i;
      for (let k = 0; k < dims.length; k++) {
        const c = Math.floor(rem / outStrides[k]!);
        rem -= c * outStrides[k]!;
        off += c * inStrides[a]![k]!;
      }
      args[a] = inputs[a]!.values[off]!;
    }
    values[i] = fn(...args);
  }
  return host(dtype === "int" ? values.map((v) => Math.trunc(v)) : values, dims, dtype);
}

/** Reads the element at a multi-index. */
function at(v: HostValue, idx: number[]): number {
  const s = strides(v.dims);
  let off = 0;
  for (let k = 0; k < idx.length; k++) off += idx[k]! * s[k]!;
  return v.values[off]!;
}

/** Builds a value of shape `dims` from a function of the output multi-index. */
function build(dims: number[], dtype: HostType, fn: (idx: number[]) => number): HostValue {
  const n = size(dims);
  if (n > MAX_HOST_ELEMENTS) throw new Error("host value too large");
  const s = strides(dims);
  const values = new Array<number>(n);
  const idx = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    let rem = i;
    for (let k = 0; k < dims.length; k++) {
      idx[k] = Math.floor(rem / s[k]!);
      rem -= idx[k]! * s[k]!;
    }
    values[i] = fn(idx);
  }
  return host(values, dims, dtype);
}

export function normaliseAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function gather(data: HostValue, indices: HostValue, axis: number): HostValue {
  const ax = normaliseAxis(axis, data.dims.length);
  const len = data.dims[ax]!;
  const dims = [...data.dims.slice(0, ax), ...indices.dims, ...data.dims.slice(ax + 1)];
  const ir = indices.dims.length;
  return build(dims, data.dtype, (idx) => {
    const inIdx = idx.slice(ax, ax + ir);
    let g = at(indices, inIdx);
    if (g < 0) g += len;
    if (g < 0 || g >= len) throw new Error(`Gather index ${g} is out of range ${len}`);
    return at(data, [...idx.slice(0, ax), g, ...idx.slice(ax + ir)]);
  });
}

export function transpose(v: HostValue, perm: number[]): HostValue {
  const dims = perm.map((p) => v.dims[p]!);
  return build(dims, v.dtype, (idx) => {
    const src = new Array<number>(idx.length);
    perm.forEach((p, k) => (src[p] = idx[k]!));
    return at(v, src);
  });
}

/** Per-axis index lists, as Slice with starts, ends, axes and steps computes them. */
export function sliceIndices(dims: ReadonlyArray<number>, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined): number[][] {
  const out = dims.map((d) => Array.from({ length: d }, (_, i) => i));
  const ax = axes ?? starts.map((_, i) => i);
  ax.forEach((a0, k) => {
    const a = normaliseAxis(a0, dims.length);
    const d = dims[a]!;
    const step = steps?.[k] ?? 1;
    if (step === 0) throw new Error("Slice step 0");
    let s = starts[k]!;
    let e = ends[k]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    const list: number[] = [];
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
      for (let i = s; i < e; i += step) list.push(i);
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      for (let i = s; i > e; i += step) list.push(i);
    }
    out[a] = list;
  });
  return out;
}

export function selectIndices(v: HostValue, perAxis: number[][]): HostValue {
  return build(perAxis.map((l) => l.length), v.dtype, (idx) => at(v, idx.map((i, k) => perAxis[k]![i]!)));
}

export function concat(vs: HostValue[], axis: number): HostValue {
  const rank = vs[0]!.dims.length;
  const ax = normaliseAxis(axis, rank);
  const dims = [...vs[0]!.dims];
  dims[ax] = vs.reduce((a, v) => a + v.dims[ax]!, 0);
  const offsets: number[] = [];
  let o = 0;
  for (const v of vs) {
    offsets.push(o);
    o += v.dims[ax]!;
  }
  const dtype = vs.some((v) => v.dtype === "float") ? "float" : vs[0]!.dtype;
  return build(dims, dtype, (idx) => {
    let k = vs.length - 1;
    while (k > 0 && offsets[k]! > idx[ax]!) k--;
    const src = [...idx];
    src[ax] = idx[ax]! - offsets[k]!;
    return at(vs[k]!, src);
  });
}

/** Resolves an ONNX Reshape target (0 copies the input dimension unless allowzero, -1 is inferred). */
export function reshapeTarget(inDims: ReadonlyArray<number>, target: number[], allowZero: boolean): number[] {
  const shape = target.map((d, k) => (d === 0 && !allowZero ? inDims[k]! : d));
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = size(inDims);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error("Reshape with more than one -1");
  if (unknown === 1) return shape.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (known !== total) throw new Error(`Reshape of [${inDims.join(",")}] into [${shape.join(",")}]`);
  return shape;
}

export function reduce(v: HostValue, axes: number[], keepDims: boolean, op: "sum" | "mean" | "max" | "min" | "prod"): HostValue {
  const rank = v.dims.length;
  const ax = new Set(axes.map((a) => normaliseAxis(a, rank)));
  const outDims = v.dims.map((d, k) => (ax.has(k) ? 1 : d));
  const acc = build(outDims, v.dtype, () => (op === "max" ? -Infinity : op === "min" ? Infinity : op === "prod" ? 1 : 0));
  const s = strides(outDims);
  const inS = strides(v.dims);
  const counts = new Array<number>(acc.values.length).fill(0);
  for (let i = 0; i < v.values.length; i++) {
    let rem = i;
    let off = 0;
    for (let k = 0; k < rank; k++) {
      const c = Math.floor(rem / inS[k]!);
      rem -= c * inS[k]!;
      if (!ax.has(k)) off += c * s[k]!;
    }
    const x = v.values[i]!;
    const a = acc.values[off]!;
    acc.values[off] = op === "max" ? Math.max(a, x) : op === "min" ? Math.min(a, x) : op === "prod" ? a * x : a + x;
    counts[off]!++;
  }
  if (op === "mean") acc.values = acc.values.map((x, i) => x / Math.max(counts[i]!, 1));
  acc.dims = keepDims ? outDims : v.dims.filter((_, k) => !ax.has(k));
  return acc;
}
