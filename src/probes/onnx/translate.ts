// Translates an ONNX graph into tfjs operations so gradients flow through it (white-box attacks).
// It covers what torch.onnx.export and tf2onnx emit for common vision, tabular and small
// transformer classifiers. Shape subgraphs (Shape, Gather, Unsqueeze, Concat, ConstantOfShape,
// Equal, Where, Expand...) are evaluated on the host at the concrete input shape of each call
// (src/probes/onnx/host.ts), so tensor operations only ever see constant shapes. A graph using any
// other operator is reported by `unsupportedOperators` and probed with black-box attacks instead;
// the loader trusts a translation only after it reproduces onnxruntime's outputs.

import { tf } from "../backend";
import { convolve } from "./conv";
import * as H from "./host";
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxSubgraph, OnnxTensor } from "./proto";

export const TRANSLATED_OPERATORS: ReadonlySet<string> = new Set([
  "Abs", "Add", "And", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Celu", "Clip", "Concat", "Constant", "ConstantOfShape",
  "Conv", "ConvTranspose", "CumSum", "DepthToSpace", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather", "Gelu",
  "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater", "GRU", "GreaterOrEqual", "HardSigmoid", "HardSwish", "Identity", "If",
  "InstanceNormalization", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "LSTM", "MatMul", "Max",
  "MaxPool", "Mean", "Min", "Mod", "Mul", "Neg", "Not", "Or", "Pad", "Pow", "PRelu", "Range", "Reciprocal", "ReduceL2", "ReduceMax",
  "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "Relu", "Reshape", "Resize", "RNN", "Round", "ScatterND", "Selu", "Shape", "Sigmoid", "Sign",
  "Slice", "Softmax", "Softplus", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Tile", "TopK", "Transpose", "Trilu", "Unsqueeze",
  "Upsample", "Where",
]);

/**
 * A tensor value. `nhwc`, when present, is the same 4-D value channel-last: convolutions and pools
 * compute in NHWC, and their output stays NHWC (the NCHW `t` is transposed only when an operator
 * reads it), so Conv -> Relu -> MaxPool -> Conv chains convert once at each end, not twice per layer.
 */
type TensorValue = { kind: "tensor"; t: tf.Tensor; nhwc?: tf.Tensor4D };
type Value = TensorValue | H.HostValue;

/** Float weights of translated graphs: their derived forms (filters in tfjs layout) are computed once. */
const constantTensors = new WeakSet<tf.Tensor>();
const derivedOfConstant = new WeakMap<tf.Tensor, Map<string, tf.Tensor[]>>();

/**
 * `make(w)` once per constant weight and key (kept out of tidy scopes, disposed with the graph);
 * computed every call for weights that are not constants of the graph.
 */
function derived(w: tf.Tensor, key: string, make: () => tf.Tensor[]): tf.Tensor[] {
  if (!constantTensors.has(w)) return make();
  let forW = derivedOfConstant.get(w);
  if (!forW) derivedOfConstant.set(w, (forW = new Map()));
  let out = forW.get(key);
  if (!out) forW.set(key, (out = tf.tidy(() => make().map((t) => tf.keep(t.clone())))));
  return out;
}

/** A 4-D NHWC result whose NCHW form is computed when first read. */
function channelsLast(y: tf.Tensor4D): TensorValue {
  let nchw: tf.Tensor | undefined;
  return {
    kind: "tensor",
    nhwc: y,
    get t(): tf.Tensor {
      nchw ??= tf.transpose(y, [0, 3, 1, 2]);
      return nchw;
    },
  };
}

/** Operators (with the reason) the translation cannot handle; empty when the whole graph translates. */
export function unsupportedOperators(graph: OnnxSubgraph): string[] {
  const out = new Set<string>();
  for (const n of graph.nodes) {
    // If: both branches must translate (the condition is read when the graph runs).
    for (const branch of ["then_branch", "else_branch"]) {
      const g = n.opType === "If" ? n.attributes.get(branch)?.g : undefined;
      if (g) for (const op of unsupportedOperators(g)) out.add(op);
    }
    const k = n.attributes.get("kernel_shape")?.ints.length;
    const pool = n.opType === "MaxPool" || n.opType === "AveragePool";
    if (n.domain !== "" && n.domain !== "ai.onnx") out.add(`${n.domain}.${n.opType}`);
    else if (!TRANSLATED_OPERATORS.has(n.opType)) out.add(n.opType);
    else if ((n.opType === "Conv" || n.opType === "ConvTranspose" || pool) && k !== undefined && k !== 1 && k !== 2 && !(pool && k === 3)) out.add(`${n.opType} (${k}-D)`);
    else if (pool && k === 3 && attrInt(n, "ceil_mode", 0) !== 0) out.add(`${n.opType} (3-D, ceil_mode)`);
    else if (n.opType === "ScatterND" && attrStr(n, "reduction", "none") !== "none") out.add(`ScatterND (reduction ${attrStr(n, "reduction", "none")})`);
    else if (["LSTM", "GRU", "RNN"].includes(n.opType) && (!recurrentActivations(n) || n.attributes.has("clip") || attrInt(n, "input_forget", 0) !== 0)) out.add(`${n.opType} (activations other than Sigmoid/Tanh/Relu, clip or input_forget)`);
    else if (pool && attrInts(n, "dilations", [1, 1]).some((d) => d !== 1)) out.add(`${n.opType} (dilated)`);
    else if (n.opType === "ConvTranspose" && (attrInts(n, "dilations", [1, 1]).some((d) => d !== 1) || n.attributes.has("output_shape"))) out.add("ConvTranspose (dilated or output_shape)");
    else if ((n.opType === "Resize" || n.opType === "Upsample") && !["nearest", "linear", "bilinear", "cubic"].includes(attrStr(n, "mode", "nearest"))) out.add(`${n.opType} (${attrStr(n, "mode", "nearest")})`);
    else if (n.opType === "Resize" && ["tf_crop_and_resize"].includes(attrStr(n, "coordinate_transformation_mode", "half_pixel"))) out.add("Resize (tf_crop_and_resize)");
    else if (n.opType === "Pad" && !["constant", "reflect", "edge"].includes(attrStr(n, "mode", "constant"))) out.add(`Pad (${attrStr(n, "mode", "constant")})`);
  }
  return [...out].sort();
}

function attrInt(n: OnnxNode, name: string, dflt: number): number {
  return n.attributes.get(name)?.i ?? dflt;
}
function attrFloat(n: OnnxNode, name: string, dflt: number): number {
  return n.attributes.get(name)?.f ?? dflt;
}
function attrStr(n: OnnxNode, name: string, dflt: string): string {
  return n.attributes.get(name)?.s ?? dflt;
}
function attrInts(n: OnnxNode, name: string, dflt: number[]): number[] {
  const a: OnnxAttribute | undefined = n.attributes.get(name);
  return a && a.ints.length > 0 ? a.ints : dflt;
}

/** ONNX TensorProto.DataType: 1 float, 9 bool, 10 float16, 11 double, other numbers are integers. */
function dtypeOf(onnxType: number): H.HostType {
  return onnxType === 1 || onnxType === 10 || onnxType === 11 || onnxType === 16 ? "float" : onnxType === 9 ? "bool" : "int";
}

function fromOnnxTensor(t: OnnxTensor): Value {
  // Float weights become tensors once; small integer and boolean constants stay on the host.
  if (t.values instanceof Float32Array && t.values.length > 16) {
    const weights = tf.tensor(t.values, t.dims, "float32");
    constantTensors.add(weights);
    return { kind: "tensor", t: weights };
  }
  return H.host(Array.from(t.values), t.dims, dtypeOf(t.dataType));
}

function toTensor(v: Value): tf.Tensor {
  if (v.kind === "tensor") return v.t;
  if (v.dtype === "bool") return tf.tensor(v.values.map((x) => (x ? 1 : 0)), v.dims, "bool");
  // int64 sentinels (INT64_MAX) do not fit int32; they only occur in Slice bounds, read on the host.
  return tf.tensor(v.dtype === "int" ? v.values.map((x) => Math.max(-2147483648, Math.min(2147483647, x))) : v.values, v.dims, v.dtype === "int" ? "int32" : "float32");
}

/** Host copy of a value (reads a tensor back; only for non-differentiable operands such as indices). */
function toHost(v: Value): H.HostValue {
  if (v.kind === "host") return v;
  const dtype: H.HostType = v.t.dtype === "bool" ? "bool" : v.t.dtype === "int32" ? "int" : "float";
  return H.host(Array.from(v.t.dataSync()), [...v.t.shape], dtype);
}

export interface TranslatedGraph {
  run(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** Builds a differentiable function input -> first output. Call `unsupportedOperators` first. */
export interface TranslateOptions {
  /**
   * The batch an export without a dynamic batch axis was traced at. Its constant-folded Reshape
   * targets hold that batch ([1, 144] for x.view(x.size(0), -1)); when a run feeds another batch,
   * a target whose first entry is this batch, reshaping a tensor whose first axis is the run's
   * batch, takes the run's batch instead. The loader trusts this only after the whole-batch
   * translation reproduces onnxruntime's per-batch outputs.
   */
  frozenBatch?: number;
}

/** A run's batch where the graph was traced at another one (see TranslateOptions.frozenBatch). */
interface BatchRebind {
  frozen: number;
  actual: number;
}

export function translateGraph(graph: OnnxGraph, options: TranslateOptions = {}): TranslatedGraph {
  const consts = new Map<string, Value>();
  for (const [name, t] of graph.initializers) consts.set(name, fromOnnxTensor(t));
  // Constant nodes are evaluated once, like initializers.
  const nodes: OnnxNode[] = [];
  for (const n of graph.nodes) {
    if (n.opType === "Constant" && n.outputs[0]) consts.set(n.outputs[0], evalNode(n, graph.opset, () => undefined)[0]!);
    else nodes.push(n);
  }
  const inputName = graph.inputs[0]?.name;
  const outputName = graph.outputs[0]?.name;
  if (!inputName || !outputName) throw new Error("the ONNX graph has no input or no output");

  const run = (x: tf.Tensor): tf.Tensor => {
    const env = new Map<string, Value>(consts);
    env.set(inputName, { kind: "tensor", t: x });
    const frozen = options.frozenBatch;
    const rebind = frozen !== undefined && x.shape[0] !== undefined && x.shape[0] !== frozen ? { frozen, actual: x.shape[0] } : undefined;
    for (const n of nodes) {
      const outs = evalNode(n, graph.opset, (name) => {
        if (!name) return undefined;
        const v = env.get(name);
        if (!v) throw new Error(`ONNX value ${name} is not available`);
        return v;
      }, rebind);
      outs.forEach((v, k) => {
        const name = n.outputs[k];
        if (name) env.set(name, v);
      });
    }
    const y = env.get(outputName);
    if (!y) throw new Error(`the graph output ${outputName} was not computed`);
    return toTensor(y);
  };
  return {
    run,
    dispose() {
      for (const v of consts.values()) {
        if (v.kind !== "tensor") continue;
        for (const ts of derivedOfConstant.get(v.t)?.values() ?? []) tf.dispose(ts);
        derivedOfConstant.delete(v.t);
        v.t.dispose();
      }
    },
  };
}

type Lookup = (name: string | undefined) => Value | undefined;

/** Runs a branch subgraph; names it does not define come from the enclosing graph. */
function runSubgraph(g: OnnxSubgraph, opset: number, outer: Lookup, rebind: BatchRebind | undefined): Value[] {
  const env = new Map<string, Value>();
  // Branch initializers are made per run (inside the caller's tidy scope), not cached as weights.
  for (const [name, t] of g.initializers) env.set(name, t.values instanceof Float32Array && t.values.length > 16 ? { kind: "tensor", t: tf.tensor(t.values, t.dims, "float32") } : H.host(Array.from(t.values), t.dims, dtypeOf(t.dataType)));
  const lookup: Lookup = (name) => (name ? env.get(name) ?? outer(name) : undefined);
  for (const node of g.nodes) {
    const outs = evalNode(node, opset, (name) => {
      const v = lookup(name);
      if (name && !v) throw new Error(`ONNX value ${name} is not available`);
      return v;
    }, rebind);
    outs.forEach((v, k) => {
      const name = node.outputs[k];
      if (name) env.set(name, v);
    });
  }
  return g.outputs.map((o) => {
    const v = lookup(o.name);
    if (!v) throw new Error(`the If branch output ${o.name} was not computed`);
    return v;
  });
}

function evalNode(n: OnnxNode, opset: number, get: Lookup, rebind?: BatchRebind): Value[] {
  const i = n.inputs;
  const val = (k: number): Value => {
    const v = get(i[k]);
    if (!v) throw new Error(`${n.opType} node ${n.name} misses input ${k}`);
    return v;
  };
  const has = (k: number): boolean => i[k] !== undefined && i[k] !== "";
  const ten = (k: number): tf.Tensor => toTensor(val(k));
  const hostOf = (k: number): H.HostValue => toHost(val(k));
  const ints = (k: number): number[] => hostOf(k).values;
  const allHost = (): boolean => i.every((name) => !name || get(name)!.kind === "host");
  const T = (t: tf.Tensor): Value => ({ kind: "tensor", t });
  const unary = (hostFn: (v: number) => number, tensorFn: (t: tf.Tensor) => tf.Tensor): Value[] => {
    const v = val(0);
    return [v.kind === "host" ? H.elementwise([v], v.dtype === "bool" ? "int" : v.dtype, hostFn) : T(tensorFn(v.t))];
  };
  const binary = (hostFn: (a: number, b: number) => number, tensorFn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, result?: H.HostType): Value[] => {
    const a = val(0);
    const b = val(1);
    if (a.kind === "host" && b.kind === "host") return [H.elementwise([a, b], result ?? (a.dtype === "float" || b.dtype === "float" ? "float" : a.dtype), hostFn)];
    return [T(tensorFn(castLike(ten(0), ten(1)), castLike(ten(1), ten(0))))];
  };
  const axesFrom = (inputIndex: number, attrFromOpset: number): number[] | undefined => {
    if (opset >= attrFromOpset) return has(inputIndex) ? ints(inputIndex) : undefined;
    const a = n.attributes.get("axes");
    return a && a.ints.length > 0 ? a.ints : undefined;
  };

  switch (n.opType) {
    case "Identity":
    case "Dropout":
      return [val(0)];
    case "Constant": {
      const a = n.attributes;
      if (a.get("value")?.t) return [fromOnnxTensor(a.get("value")!.t!)];
      if (a.get("value_float")?.f !== undefined) return [H.host([a.get("value_float")!.f!], [], "float")];
      if (a.get("value_floats")) return [H.host(a.get("value_floats")!.floats, [a.get("value_floats")!.floats.length], "float")];
      if (a.get("value_int")?.i !== undefined) return [H.host([a.get("value_int")!.i!], [], "int")];
      if (a.get("value_ints")) return [H.host(a.get("value_ints")!.ints, [a.get("value_ints")!.ints.length], "int")];
      throw new Error(`Constant node ${n.name} has a value form the probe does not read`);
    }
    case "If": {
      // torch.onnx.export writes x.squeeze(d) on a dynamic shape as If(shape[d] == 1, Squeeze,
      // Identity): the condition is a host value at the concrete input shape. A condition
      // computed from data is a scalar for the whole batch; either way one branch runs.
      const c = hostOf(0);
      if (c.values.length !== 1) throw new Error(`If condition with ${c.values.length} values`);
      const branch = n.attributes.get(c.values[0] ? "then_branch" : "else_branch")?.g;
      if (!branch) throw new Error(`If node ${n.name} has no ${c.values[0] ? "then" : "else"} branch`);
      return runSubgraph(branch, opset, get, rebind);
    }
    case "Round":
      // Half to even, as ONNX and tf.round do.
      return unary((a) => (Math.abs(a - Math.trunc(a)) === 0.5 ? 2 * Math.round(a / 2) : Math.round(a)), tf.round);
    case "Mod": {
      // fmod=1: C fmod (the sign of the dividend, torch.fmod); fmod=0: the sign of the divisor.
      const fmod = attrInt(n, "fmod", 0) === 1;
      const hostMod = (a: number, b: number): number => (fmod ? a % b : a - Math.floor(a / b) * b);
      return binary(hostMod, (a, b) => (fmod ? tf.sub(a, tf.mul(truncTensor(tf.div(a, b)), b)) : tf.mod(a, b)));
    }
    case "CumSum": {
      const x0 = ten(0);
      const axis = H.normaliseAxis(ints(1)[0]!, x0.rank);
      return [T(tf.cumsum(x0, axis, attrInt(n, "exclusive", 0) === 1, attrInt(n, "reverse", 0) === 1))];
    }
    case "Trilu": {
      // Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes.
      const v = val(0);
      const dims = v.kind === "tensor" ? v.t.shape : v.dims;
      const [rows, cols] = [dims[dims.length - 2]!, dims[dims.length - 1]!];
      const k = has(1) ? ints(1)[0]! : 0;
      const upper = attrInt(n, "upper", 1) === 1;
      const keep = Array.from({ length: rows * cols }, (_, p) => {
        const d = (p % cols) - Math.floor(p / cols);
        return (upper ? d >= k : d <= k) ? 1 : 0;
      });
      const mask = H.host(keep, [rows, cols], "int");
      if (v.kind === "host") return [H.elementwise([v, mask], v.dtype, (a, m) => (m ? a : 0))];
      return [T(tf.where(tf.cast(expandTensor(toTensor(mask), [...dims]), "bool"), v.t, tf.zerosLike(v.t)))];
    }
    case "LSTM":
    case "GRU":
    case "RNN":
      return recurrent(n, ten(0), ten(1), ten(2), has(3) ? ten(3) : undefined, has(4) ? hostOf(4) : undefined, has(5) ? ten(5) : undefined, n.opType === "LSTM" && has(6) ? ten(6) : undefined, n.opType === "LSTM" && has(7) ? ten(7) : undefined);
    case "ScatterND": {
      // In-place assignment (y[:, 0] = v): the indices are host values (computed from shapes), so
      // every output element is known to come from the data or from one update element.
      const data = val(0);
      const idx = hostOf(1);
      const upd = val(2);
      const dims = data.kind === "tensor" ? data.t.shape : data.dims;
      const k = idx.dims[idx.dims.length - 1] ?? 0;
      const slice = H.size(dims.slice(k));
      const total = H.size(dims);
      if (total > H.MAX_HOST_ELEMENTS) throw new Error("ScatterND on a tensor too large");
      const dataStrides = dims.map((_, a) => H.size(dims.slice(a + 1)));
      const source = new Array<number>(total).fill(-1);
      for (let t = 0; t * k < idx.values.length; t++) {
        let off = 0;
        for (let a = 0; a < k; a++) {
          let v = idx.values[t * k + a]!;
          if (v < 0) v += dims[a]!;
          if (v < 0 || v >= dims[a]!) throw new Error(`ScatterND index ${v} out of range ${dims[a]}`);
          off += v * dataStrides[a]!;
        }
        for (let e = 0; e < slice; e++) source[off + e] = t * slice + e;
      }
      if (data.kind === "host" && upd.kind === "host") return [H.host(source.map((j, p) => (j < 0 ? data.values[p]! : upd.values[j]!)), [...dims], data.dtype)];
      const flat = tf.reshape(toTensor(data), [total]);
      const taken = gatherTensor(castLike(tf.reshape(toTensor(upd), [-1]), flat), H.host(source.map((j) => Math.max(j, 0)), [total], "int"), 0);
      const mask = tf.tensor1d(source.map((j) => (j >= 0 ? 1 : 0)), "bool");
      return [T(tf.reshape(tf.where(mask, taken, flat), [...dims]))];
    }
    case "TopK": {
      // Values through a 0/1 selection of the input (differentiable); indices without a gradient.
      const x0 = ten(0);
      const axis = H.normaliseAxis(attrInt(n, "axis", -1), x0.rank);
      const k = opset >= 10 ? ints(1)[0]! : attrInt(n, "k", 1);
      const largest = attrInt(n, "largest", 1) === 1;
      const perm = Array.from({ length: x0.rank }, (_, d) => d);
      perm[axis] = x0.rank - 1;
      perm[x0.rank - 1] = axis;
      const moved = axis === x0.rank - 1 ? x0 : tf.transpose(x0, perm);
      const len = moved.shape[moved.rank - 1]!;
      const indices = noGradient((t) => tf.topk(largest ? t : tf.neg(t), k).indices, [moved]);
      const select = noGradient((t) => tf.cast(tf.oneHot(t, len), "float32"), [indices]); // [..., k, len]
      const values = tf.sum(tf.mul(select, tf.expandDims(moved, -2)), -1);
      const back = (t: tf.Tensor): tf.Tensor => (axis === x0.rank - 1 ? t : tf.transpose(t, perm));
      return [T(back(values)), T(back(tf.cast(indices, "int32")))];
    }
    case "Celu": {
      const x0 = ten(0);
      const alpha = attrFloat(n, "alpha", 1);
      return [T(tf.add(tf.relu(x0), tf.minimum(0, tf.mul(alpha, tf.sub(tf.exp(tf.div(x0, alpha)), 1)))))];
    }
    case "Shape": {
      const v = val(0);
      const dims = v.kind === "tensor" ? v.t.shape : v.dims;
      const r = dims.length;
      let s = attrInt(n, "start", 0);
      let e = attrInt(n, "end", r);
      if (s < 0) s += r;
      if (e < 0) e += r;
      s = Math.max(0, Math.min(r, s));
      e = Math.max(s, Math.min(r, e));
      return [H.host(dims.slice(s, e), [e - s], "int")];
    }
    case "Cast": {
      const to = dtypeOf(attrInt(n, "to", 1));
      const v = val(0);
      if (v.kind === "host") return [H.elementwise([v], to, to === "bool" ? (x) => (x ? 1 : 0) : (x) => x)];
      return [T(tf.cast(v.t, to === "float" ? "float32" : to === "bool" ? "bool" : "int32"))];
    }
    case "ConstantOfShape": {
      const dims = ints(0);
      const t = n.attributes.get("value")?.t;
      const value = t ? Number(t.values[0] ?? 0) : 0;
      const dtype = t ? dtypeOf(t.dataType) : "float";
      if (H.size(dims) <= 4096) return [H.host(new Array<number>(H.size(dims)).fill(value), dims, dtype)];
      return [T(tf.fill(dims, value, dtype === "float" ? "float32" : dtype === "bool" ? "bool" : "int32"))];
    }
    case "Range": {
      const [s, l, d] = [ints(0)[0]!, ints(1)[0]!, ints(2)[0]!];
      const count = Math.max(Math.ceil((l - s) / d), 0);
      if (count > H.MAX_HOST_ELEMENTS) throw new Error("Range too long");
      return [H.host(Array.from({ length: count }, (_, k) => s + k * d), [count], hostOf(0).dtype)];
    }
    case "Gather": {
      const axis = attrInt(n, "axis", 0);
      const data = val(0);
      const idx = hostOf(1);
      if (data.kind === "host") return [H.gather(data, idx, axis)];
      return [T(gatherTensor(data.t, idx, axis))];
    }
    case "Unsqueeze": {
      const v = val(0);
      const axes = axesFrom(1, 13) ?? [];
      const dims = v.kind === "tensor" ? [...v.t.shape] : [...v.dims];
      const rank = dims.length + axes.length;
      const norm = axes.map((a) => H.normaliseAxis(a, rank)).sort((a, b) => a - b);
      for (const a of norm) dims.splice(a, 0, 1);
      return [reshapeValue(v, dims)];
    }
    case "Squeeze": {
      const v = val(0);
      const dims = v.kind === "tensor" ? [...v.t.shape] : [...v.dims];
      const axes = axesFrom(1, 13);
      const drop = new Set(axes ? axes.map((a) => H.normaliseAxis(a, dims.length)) : dims.flatMap((d, k) => (d === 1 ? [k] : [])));
      return [reshapeValue(v, dims.filter((_, k) => !drop.has(k)))];
    }
    case "Reshape": {
      const v = val(0);
      let target = opset >= 5 ? ints(1) : attrInts(n, "shape", []);
      const inDims = v.kind === "tensor" ? v.t.shape : v.dims;
      if (rebind && v.kind === "tensor" && inDims[0] === rebind.actual && target[0] === rebind.frozen) target = [rebind.actual, ...target.slice(1)];
      return [reshapeValue(v, H.reshapeTarget(inDims, target, attrInt(n, "allowzero", 0) === 1))];
    }
    case "Flatten": {
      const v = val(0);
      const dims = v.kind === "tensor" ? v.t.shape : v.dims;
      let axis = attrInt(n, "axis", 1);
      if (axis < 0) axis += dims.length;
      const lead = H.size(dims.slice(0, axis));
      return [reshapeValue(v, [lead, H.size(dims.slice(axis))])];
    }
    case "Expand": {
      const v = val(0);
      const shape = ints(1);
      const inDims = v.kind === "tensor" ? v.t.shape : v.dims;
      const dims = H.broadcastShapes(inDims, shape);
      if (v.kind === "host") return [H.elementwise([v, H.host(new Array<number>(H.size(dims)).fill(0), dims, v.dtype)], v.dtype, (a) => a)];
      return [T(expandTensor(v.t, dims))];
    }
    case "Tile": {
      const v = val(0);
      const reps = ints(1);
      if (v.kind === "host") {
        const per = v.dims.map((d, k) => Array.from({ length: d * reps[k]! }, (_, j) => j % d));
        return [H.selectIndices(v, per)];
      }
      return [T(tf.tile(v.t, reps))];
    }
    case "Concat": {
      const axis = attrInt(n, "axis", 0);
      const present = i.map((_, k) => k).filter((k) => has(k));
      if (present.every((k) => val(k).kind === "host")) return [H.concat(present.map((k) => hostOf(k)), axis)];
      const ts = present.map((k) => ten(k));
      return [T(tf.concat(ts.map((t) => castLike(t, ts[0]!)), H.normaliseAxis(axis, ts[0]!.rank)))];
    }
    case "Split": {
      const v = val(0);
      const dims = v.kind === "tensor" ? v.t.shape : v.dims;
      const axis = H.normaliseAxis(attrInt(n, "axis", 0), dims.length);
      let parts = opset >= 13 ? (has(1) ? ints(1) : []) : attrInts(n, "split", []);
      if (parts.length === 0) {
        const count = attrInt(n, "num_outputs", n.outputs.length);
        const each = Math.ceil(dims[axis]! / count);
        parts = Array.from({ length: count }, (_, k) => Math.max(0, Math.min(each, dims[axis]! - k * each)));
      }
      let start = 0;
      return parts.map((p) => {
        const per = dims.map((d, k) => (k === axis ? Array.from({ length: p }, (_, j) => start + j) : Array.from({ length: d }, (_, j) => j)));
        start += p;
        return v.kind === "host" ? H.selectIndices(v, per) : T(sliceTensor(v.t, per));
      });
    }
    case "Slice": {
      const v = val(0);
      const dims = v.kind === "tensor" ? v.t.shape : v.dims;
      const [starts, ends, axes, steps] = opset >= 10
        ? [ints(1), ints(2), has(3) ? ints(3) : undefined, has(4) ? ints(4) : undefined]
        : [attrInts(n, "starts", []), attrInts(n, "ends", []), n.attributes.has("axes") ? attrInts(n, "axes", []) : undefined, undefined];
      const per = H.sliceIndices(dims, starts, ends, axes, steps);
      return [v.kind === "host" ? H.selectIndices(v, per) : T(sliceTensor(v.t, per))];
    }
    case "DepthToSpace":
    case "SpaceToDepth": {
      const x0 = ten(0);
      if (x0.rank !== 4) throw new Error(`${n.opType} of a rank-${x0.rank} tensor`);
      const [b, c, h, w] = x0.shape as [number, number, number, number];
      const k = attrInt(n, "blocksize", 1);
      if (n.opType === "SpaceToDepth") {
        // [b, c, h/k, k, w/k, k] -> [b, k, k, c, h/k, w/k]
        const y = tf.transpose(x0.reshape([b, c, h / k, k, w / k, k]), [0, 3, 5, 1, 2, 4]);
        return [T(y.reshape([b, c * k * k, h / k, w / k]))];
      }
      // DCR (default): depth split as [k, k, c/k²]; CRD (PyTorch's pixel_shuffle): [c/k², k, k].
      const crd = attrStr(n, "mode", "DCR") === "CRD";
      const cOut = c / (k * k);
      const y = crd
        ? tf.transpose(x0.reshape([b, cOut, k, k, h, w]), [0, 1, 4, 2, 5, 3])
        : tf.transpose(x0.reshape([b, k, k, cOut, h, w]), [0, 3, 4, 1, 5, 2]);
      return [T(y.reshape([b, cOut, h * k, w * k]))];
    }
    case "Transpose": {
      const v = val(0);
      const rank = v.kind === "tensor" ? v.t.rank : v.dims.length;
      const perm = attrInts(n, "perm", Array.from({ length: rank }, (_, d) => rank - 1 - d));
      return [v.kind === "host" ? H.transpose(v, perm) : T(tf.transpose(v.t, perm))];
    }
    case "Add":
      return binary((a, b) => a + b, tf.add);
    case "Sub":
      return binary((a, b) => a - b, tf.sub);
    case "Mul":
      return binary((a, b) => a * b, tf.mul);
    case "Div": {
      const a = val(0);
      const b = val(1);
      const intDiv = a.kind === "host" && b.kind === "host" && a.dtype === "int" && b.dtype === "int";
      return binary((p, q) => (intDiv ? Math.trunc(p / q) : p / q), tf.div);
    }
    case "Pow":
      return binary((a, b) => a ** b, (a, b) => powTensor(a, b, get(i[1])));
    case "Equal":
      return binary((a, b) => (a === b ? 1 : 0), (a, b) => noGradient(tf.equal, [a, b]), "bool");
    case "Less":
      return binary((a, b) => (a < b ? 1 : 0), (a, b) => noGradient(tf.less, [a, b]), "bool");
    case "LessOrEqual":
      return binary((a, b) => (a <= b ? 1 : 0), (a, b) => noGradient(tf.lessEqual, [a, b]), "bool");
    case "Greater":
      return binary((a, b) => (a > b ? 1 : 0), (a, b) => noGradient(tf.greater, [a, b]), "bool");
    case "GreaterOrEqual":
      return binary((a, b) => (a >= b ? 1 : 0), (a, b) => noGradient(tf.greaterEqual, [a, b]), "bool");
    case "And":
      return binary((a, b) => (a && b ? 1 : 0), (a, b) => noGradient(tf.logicalAnd, [a, b]), "bool");
    case "Or":
      return binary((a, b) => (a || b ? 1 : 0), (a, b) => noGradient(tf.logicalOr, [a, b]), "bool");
    case "Not":
      return unary((a) => (a ? 0 : 1), (t) => noGradient(tf.logicalNot, [t]));
    case "Where": {
      if (allHost()) {
        const [c, a, b] = [hostOf(0), hostOf(1), hostOf(2)];
        return [H.elementwise([c, a, b], a.dtype === "float" || b.dtype === "float" ? "float" : a.dtype, (p, q, r) => (p ? q : r))];
      }
      const a = ten(1);
      const b = ten(2);
      const dims = H.broadcastShapes(H.broadcastShapes(ten(0).shape, a.shape), b.shape);
      const cond = expandTensor(tf.cast(ten(0), "bool"), dims);
      return [T(tf.where(cond, expandTensor(castLike(a, b), dims), expandTensor(castLike(b, a), dims)))];
    }
    case "Max":
    case "Min":
    case "Sum":
    case "Mean": {
      const present = i.map((_, k) => k).filter((k) => has(k));
      if (allHost()) {
        const fn = n.opType === "Max" ? Math.max : n.opType === "Min" ? Math.min : (...v: number[]) => v.reduce((a, b) => a + b, 0) / (n.opType === "Mean" ? v.length : 1);
        const hs = present.map((k) => hostOf(k));
        return [H.elementwise(hs, hs.some((h) => h.dtype === "float") ? "float" : "int", fn)];
      }
      let acc = ten(present[0]!);
      for (const k of present.slice(1)) acc = n.opType === "Max" ? tf.maximum(acc, ten(k)) : n.opType === "Min" ? tf.minimum(acc, ten(k)) : tf.add(acc, ten(k));
      return [T(n.opType === "Mean" ? tf.div(acc, present.length) : acc)];
    }
    case "Neg":
      return unary((a) => -a, tf.neg);
    case "Abs":
      return unary(Math.abs, tf.abs);
    case "Sqrt":
      return unary(Math.sqrt, tf.sqrt);
    case "Exp":
      return unary(Math.exp, tf.exp);
    case "Log":
      return unary(Math.log, tf.log);
    case "Reciprocal":
      return unary((a) => 1 / a, tf.reciprocal);
    case "Floor":
      return unary(Math.floor, tf.floor);
    case "Ceil":
      return unary(Math.ceil, tf.ceil);
    case "Sign":
      return unary(Math.sign, tf.sign);
    case "Erf":
      return [T(tf.erf(ten(0)))];
    case "Relu": {
      const v = val(0);
      return [v.kind === "tensor" && v.nhwc ? channelsLast(tf.relu(v.nhwc)) : T(tf.relu(ten(0)))];
    }
    case "LeakyRelu": {
      const v = val(0);
      const alpha = attrFloat(n, "alpha", 0.01);
      return [v.kind === "tensor" && v.nhwc ? channelsLast(tf.leakyRelu(v.nhwc, alpha)) : T(tf.leakyRelu(ten(0), alpha))];
    }
    case "PRelu": {
      const x0 = ten(0);
      return [T(tf.where(noGradient(tf.greater, [x0, tf.scalar(0)]), x0, tf.mul(x0, ten(1))))];
    }
    case "Elu": {
      const x0 = ten(0);
      const alpha = attrFloat(n, "alpha", 1);
      return [T(alpha === 1 ? tf.elu(x0) : tf.where(noGradient(tf.greater, [x0, tf.scalar(0)]), x0, tf.mul(alpha, tf.sub(tf.exp(x0), 1))))];
    }
    case "Selu": {
      const x0 = ten(0);
      const alpha = attrFloat(n, "alpha", 1.67326319217681884765625);
      const gamma = attrFloat(n, "gamma", 1.05070102214813232421875);
      return [T(tf.mul(gamma, tf.where(noGradient(tf.greater, [x0, tf.scalar(0)]), x0, tf.mul(alpha, tf.sub(tf.exp(x0), 1)))))];
    }
    case "Sigmoid":
      return [T(tf.sigmoid(ten(0)))];
    case "Tanh":
      return [T(tf.tanh(ten(0)))];
    case "Softplus":
      return [T(tf.softplus(ten(0)))];
    case "HardSigmoid":
      return [T(tf.clipByValue(tf.add(tf.mul(ten(0), attrFloat(n, "alpha", 0.2)), attrFloat(n, "beta", 0.5)), 0, 1))];
    case "HardSwish": {
      const x0 = ten(0);
      return [T(tf.mul(x0, tf.clipByValue(tf.add(tf.mul(x0, 1 / 6), 0.5), 0, 1)))];
    }
    case "Gelu": {
      const x0 = ten(0);
      if (attrStr(n, "approximate", "none") === "tanh") {
        const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x0, tf.mul(0.044715, tf.pow(x0, 3))));
        return [T(tf.mul(tf.mul(0.5, x0), tf.add(1, tf.tanh(inner))))];
      }
      return [T(tf.mul(tf.mul(0.5, x0), tf.add(1, tf.erf(tf.mul(x0, Math.SQRT1_2)))))];
    }
    case "Clip": {
      const lo = opset >= 11 ? (has(1) ? ints(1)[0]! : -3.4e38) : attrFloat(n, "min", -3.4e38);
      const hi = opset >= 11 ? (has(2) ? ints(2)[0]! : 3.4e38) : attrFloat(n, "max", 3.4e38);
      const v = val(0);
      if (v.kind === "host") return [H.elementwise([v], v.dtype, (a) => Math.min(hi, Math.max(lo, a)))];
      return [T(tf.clipByValue(v.t, lo, hi))];
    }
    case "Softmax":
    case "LogSoftmax": {
      const x0 = ten(0);
      const ax = H.normaliseAxis(attrInt(n, "axis", opset >= 13 ? -1 : 1), x0.rank);
      const soft = (t: tf.Tensor): tf.Tensor => (n.opType === "Softmax" ? tf.softmax(t) : tf.logSoftmax(t));
      if (opset < 13) {
        // Before opset 13 the axes from `axis` on are flattened into one.
        const lead = H.size(x0.shape.slice(0, ax));
        return [T(soft(x0.reshape([lead, -1])).reshape(x0.shape))];
      }
      if (ax === x0.rank - 1) return [T(soft(x0))];
      const perm = Array.from({ length: x0.rank }, (_, d) => d);
      perm[ax] = x0.rank - 1;
      perm[x0.rank - 1] = ax;
      return [T(tf.transpose(soft(tf.transpose(x0, perm)), perm))];
    }
    case "Gemm": {
      let a = ten(0);
      if (a.rank !== 2) a = a.reshape([-1, a.shape[a.rank - 1]!]);
      const b = ten(1) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(a as tf.Tensor2D, b, attrInt(n, "transA", 0) === 1, attrInt(n, "transB", 0) === 1);
      const alpha = attrFloat(n, "alpha", 1);
      if (alpha !== 1) y = tf.mul(y, alpha);
      if (has(2)) {
        const beta = attrFloat(n, "beta", 1);
        y = tf.add(y, beta === 1 ? ten(2) : tf.mul(ten(2), beta));
      }
      return [T(y)];
    }
    case "MatMul":
      return [T(matMulTensor(ten(0), ten(1)))];
    case "Conv":
      return [conv(n, val(0), ten(1), has(2) ? ten(2) : undefined)];
    case "ConvTranspose":
      return [T(convTranspose(n, ten(0), ten(1), has(2) ? ten(2) : undefined))];
    case "MaxPool":
    case "AveragePool":
      return [attrInts(n, "kernel_shape", []).length === 3 ? T(pool3d(n, ten(0))) : pool(n, val(0))];
    case "GlobalAveragePool":
    case "GlobalMaxPool": {
      const x0 = ten(0);
      const axes = Array.from({ length: x0.rank - 2 }, (_, d) => d + 2);
      return [T(n.opType === "GlobalAveragePool" ? tf.mean(x0, axes, true) : tf.max(x0, axes, true))];
    }
    case "BatchNormalization": {
      const x0 = ten(0);
      const shape = [1, x0.shape[1]!, ...Array<number>(x0.rank - 2).fill(1)];
      const [scale, bias, mean, variance] = [ten(1), ten(2), ten(3), ten(4)].map((t) => t.reshape(shape));
      const eps = attrFloat(n, "epsilon", 1e-5);
      return [T(tf.add(tf.mul(tf.div(tf.sub(x0, mean!), tf.sqrt(tf.add(variance!, eps))), scale!), bias!))];
    }
    case "InstanceNormalization": {
      const x0 = ten(0);
      const axes = Array.from({ length: x0.rank - 2 }, (_, d) => d + 2);
      const shape = [1, x0.shape[1]!, ...Array<number>(x0.rank - 2).fill(1)];
      const { mean, variance } = tf.moments(x0, axes, true);
      const y = tf.div(tf.sub(x0, mean), tf.sqrt(tf.add(variance, attrFloat(n, "epsilon", 1e-5))));
      return [T(tf.add(tf.mul(y, ten(1).reshape(shape)), ten(2).reshape(shape)))];
    }
    case "LayerNormalization": {
      const x0 = ten(0);
      const ax = H.normaliseAxis(attrInt(n, "axis", -1), x0.rank);
      const axes = Array.from({ length: x0.rank - ax }, (_, d) => d + ax);
      const { mean, variance } = tf.moments(x0, axes, true);
      let y = tf.mul(tf.div(tf.sub(x0, mean), tf.sqrt(tf.add(variance, attrFloat(n, "epsilon", 1e-5)))), ten(1));
      if (has(2)) y = tf.add(y, ten(2));
      return [T(y)];
    }
    case "ReduceMean":
    case "ReduceSum":
    case "ReduceMax":
    case "ReduceMin":
    case "ReduceProd":
    case "ReduceL2": {
      const v = val(0);
      const rank = v.kind === "tensor" ? v.t.rank : v.dims.length;
      const given = axesFrom(1, n.opType === "ReduceSum" ? 13 : 18);
      if (given === undefined && attrInt(n, "noop_with_empty_axes", 0) === 1) return [v];
      const axes = (given ?? Array.from({ length: rank }, (_, d) => d)).map((a) => H.normaliseAxis(a, rank));
      const keep = attrInt(n, "keepdims", 1) === 1;
      if (v.kind === "host" && n.opType !== "ReduceL2") {
        const op = ({ ReduceMean: "mean", ReduceSum: "sum", ReduceMax: "max", ReduceMin: "min", ReduceProd: "prod" } as const)[n.opType];
        return [H.reduce(v, axes, keep, op)];
      }
      const t = toTensor(v);
      switch (n.opType) {
        case "ReduceMean":
          return [T(tf.mean(t, axes, keep))];
        case "ReduceSum":
          return [T(tf.sum(t, axes, keep))];
        case "ReduceMax":
          return [T(tf.max(t, axes, keep))];
        case "ReduceMin":
          return [T(tf.min(t, axes, keep))];
        case "ReduceProd":
          return [T(tf.prod(t, axes, keep))];
        default:
          return [T(tf.sqrt(tf.sum(tf.square(t), axes, keep)))];
      }
    }
    case "Pad":
      return [T(padTensor(n, opset, ten(0), opset >= 11 ? ints(1) : attrInts(n, "pads", []), opset >= 11 ? (has(2) ? ints(2)[0] ?? 0 : 0) : attrFloat(n, "value", 0), opset >= 18 && has(3) ? ints(3) : undefined))];
    case "Resize":
    case "Upsample":
      return [T(resize(n, opset, ten(0), (k) => (has(k) ? hostOf(k).values : undefined)))];
    default:
      throw new Error(`ONNX operator ${n.opType} is outside the translated set`);
  }
}

/**
 * Comparisons and logical operators have no gradient in tfjs, and its backpropagation stops with
 * an error at any such node between the input and the output (Greater feeding Where in
 * torch.where or masked_fill). They are recorded as one node whose input gradients are zero: the
 * derivative of a piecewise-constant function wherever it has one.
 */
function noGradient(fn: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): tf.Tensor {
  const f = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return { value: fn(...xs), gradFunc: () => xs.map((x) => tf.zeros(x.shape, "float32")) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(...inputs) as tf.Tensor;
}

const ACTIVATIONS: Record<string, (t: tf.Tensor) => tf.Tensor> = { Sigmoid: tf.sigmoid, Tanh: tf.tanh, Relu: tf.relu };

/** The gate (f), cell (g) and output (h) activations of a recurrent node per direction, or undefined when one is not translated. */
function recurrentActivations(n: OnnxNode): Array<Array<(t: tf.Tensor) => tf.Tensor>> | undefined {
  const perDir = n.opType === "LSTM" ? 3 : n.opType === "GRU" ? 2 : 1;
  const dflt = n.opType === "RNN" ? ["Tanh"] : n.opType === "GRU" ? ["Sigmoid", "Tanh"] : ["Sigmoid", "Tanh", "Tanh"];
  const dirs = attrStr(n, "direction", "forward") === "bidirectional" ? 2 : 1;
  const given = n.attributes.get("activations")?.strings ?? [];
  if (n.attributes.has("activation_alpha") || n.attributes.has("activation_beta")) return undefined;
  const names = given.length > 0 ? given : [...dflt, ...(dirs === 2 ? dflt : [])];
  if (names.length !== perDir * dirs || names.some((a) => !ACTIVATIONS[a])) return undefined;
  return Array.from({ length: dirs }, (_, d) => names.slice(d * perDir, (d + 1) * perDir).map((a) => ACTIVATIONS[a]!));
}

/**
 * ONNX LSTM, GRU and RNN (Sigmoid, Tanh or Relu activations), unrolled over the sequence the probe's
 * fixed input shape gives, so tfjs differentiates through every step. Gate order: LSTM i, o, f, c;
 * GRU z, r, h. Outputs Y [seq, dirs, batch, hidden], Y_h and (LSTM) Y_c [dirs, batch, hidden].
 */
function recurrent(n: OnnxNode, xIn: tf.Tensor, w: tf.Tensor, r: tf.Tensor, b: tf.Tensor | undefined, seqLens: H.HostValue | undefined, h0: tf.Tensor | undefined, c0: tf.Tensor | undefined, peep: tf.Tensor | undefined): Value[] {
  const lstm = n.opType === "LSTM";
  const gates = lstm ? 4 : n.opType === "GRU" ? 3 : 1;
  const acts = recurrentActivations(n);
  if (!acts) throw new Error(`${n.opType} with activations outside Sigmoid, Tanh and Relu`);
  const batchFirst = attrInt(n, "layout", 0) === 1;
  const x = batchFirst ? tf.transpose(xIn, [1, 0, 2]) : xIn; // [seq, batch, input]
  const [seq, batch, inSize] = x.shape as [number, number, number];
  if (seqLens && seqLens.values.some((l) => l !== seq)) throw new Error(`${n.opType} with sequence_lens shorter than the sequence`);
  const hidden = r.shape[2]!;
  const direction = attrStr(n, "direction", "forward");
  const dirs = direction === "bidirectional" ? 2 : 1;
  const stateOf = (t: tf.Tensor | undefined, d: number): tf.Tensor => {
    if (!t) return tf.zeros([batch, hidden]);
    const s = batchFirst ? tf.transpose(t, [1, 0, 2]) : t;
    return tf.reshape(tf.slice(s, [d, 0, 0], [1, batch, hidden]), [batch, hidden]);
  };
  const ys: tf.Tensor[] = [];
  const hs: tf.Tensor[] = [];
  const cs: tf.Tensor[] = [];
  const linearBeforeReset = attrInt(n, "linear_before_reset", 0) !== 0;
  for (let d = 0; d < dirs; d++) {
    const reverse = direction === "reverse" || d === 1;
    const wd = tf.reshape(tf.slice(w, [d, 0, 0], [1, gates * hidden, inSize]), [gates * hidden, inSize]);
    const rd = tf.reshape(tf.slice(r, [d, 0, 0], [1, gates * hidden, hidden]), [gates * hidden, hidden]);
    const bd = b ? tf.reshape(tf.slice(b, [d, 0], [1, 2 * gates * hidden]), [2 * gates * hidden]) : tf.zeros([2 * gates * hidden]);
    const [wb, rb] = tf.split(bd, 2);
    // One gate (RNN): no split (tfjs's gradient of a one-way split fails).
    const perGate = (t: tf.Tensor, axis: number): tf.Tensor[] => (gates === 1 ? [t] : tf.split(t, gates, axis));
    const rGates = perGate(rd, 0);
    const rbGates = perGate(rb!, 0);
    // Input projections of every step at once: [seq, batch, gates * hidden].
    const xw = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [seq * batch, inSize]) as tf.Tensor2D, wd as tf.Tensor2D, false, true), wb!), [seq, batch, gates * hidden]);
    const [f, g, hAct] = acts[d]!;
    const p = peep ? tf.split(tf.reshape(tf.slice(peep, [d, 0], [1, 3 * hidden]), [3 * hidden]), 3) : undefined;
    let h = stateOf(h0, d);
    let c = stateOf(c0, d);
    const out = new Array<tf.Tensor>(seq);
    for (let k = 0; k < seq; k++) {
      const t = reverse ? seq - 1 - k : k;
      const xg = perGate(tf.reshape(tf.slice(xw, [t, 0, 0], [1, batch, gates * hidden]), [batch, gates * hidden]), 1);
      const rec = (g: number, state: tf.Tensor): tf.Tensor => tf.add(tf.matMul(state as tf.Tensor2D, rGates[g] as tf.Tensor2D, false, true), rbGates[g]!);
      if (lstm) {
        let i = tf.add(xg[0]!, rec(0, h));
        let fg = tf.add(xg[2]!, rec(2, h));
        if (p) {
          i = tf.add(i, tf.mul(p[0]!, c));
          fg = tf.add(fg, tf.mul(p[2]!, c));
        }
        const cand = g!(tf.add(xg[3]!, rec(3, h)));
        c = tf.add(tf.mul(f!(fg), c), tf.mul(f!(i), cand));
        let o = tf.add(xg[1]!, rec(1, h));
        if (p) o = tf.add(o, tf.mul(p[1]!, c));
        h = tf.mul(f!(o), hAct!(c));
      } else if (gates === 3) {
        const z = f!(tf.add(xg[0]!, rec(0, h)));
        const rg = f!(tf.add(xg[1]!, rec(1, h)));
        const cand = g!(tf.add(xg[2]!, linearBeforeReset ? tf.mul(rg, rec(2, h)) : rec(2, tf.mul(rg, h))));
        h = tf.add(tf.mul(tf.sub(1, z), cand), tf.mul(z, h));
      } else {
        h = f!(tf.add(xg[0]!, rec(0, h)));
      }
      out[t] = h;
    }
    ys.push(tf.stack(out, 0)); // [seq, batch, hidden]
    hs.push(h);
    cs.push(c);
  }
  let y = tf.stack(ys, 1); // [seq, dirs, batch, hidden]
  let yh = tf.stack(hs, 0); // [dirs, batch, hidden]
  let yc = tf.stack(cs, 0);
  if (batchFirst) {
    y = tf.transpose(y, [2, 0, 1, 3]);
    yh = tf.transpose(yh, [1, 0, 2]);
    yc = tf.transpose(yc, [1, 0, 2]);
  }
  const T = (t: tf.Tensor): Value => ({ kind: "tensor", t });
  return lstm ? [T(y), T(yh), T(yc)] : [T(y), T(yh)];
}

/** Rounds toward zero; zero gradient, like floor. */
function truncTensor(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.sign(x), tf.floor(tf.abs(x)));
}

/** `a` cast to `b`'s dtype when they differ (ONNX operands share a type; host constants may not). */
function castLike(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return a.dtype === b.dtype || b.dtype === "string" ? a : tf.cast(a, b.dtype);
}

function reshapeValue(v: Value, dims: number[]): Value {
  if (v.kind === "host") return { ...v, dims };
  return { kind: "tensor", t: v.t.reshape(dims) };
}

function expandTensor(t: tf.Tensor, dims: number[]): tf.Tensor {
  if (t.shape.length === dims.length && t.shape.every((d, k) => d === dims[k])) return t;
  // Broadcasting against zeros: differentiable (the gradient sums back) on every backend.
  if (t.dtype === "bool") return tf.cast(expandTensor(tf.cast(t, "int32"), dims), "bool");
  return tf.add(t, tf.zeros(dims, t.dtype));
}

function powTensor(a: tf.Tensor, b: tf.Tensor, exponent: Value | undefined): tf.Tensor {
  // x^2 and x^0.5 are common (variance, norms); square and sqrt are exact and have plain gradients.
  if (exponent?.kind === "host" && exponent.values.length === 1) {
    const e = exponent.values[0]!;
    if (e === 2) return tf.square(a);
    if (e === 1) return a;
    if (e === 0.5) return tf.sqrt(a);
    if (e === 3) return tf.mul(tf.square(a), a);
  }
  return tf.pow(a, b);
}

function matMulTensor(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  // numpy matmul: a rank-1 operand gains an axis that is removed afterwards.
  if (a.rank === 1) return matMulTensor(a.reshape([1, -1]), b).squeeze([-2]);
  if (b.rank === 1) return matMulTensor(a, b.reshape([-1, 1])).squeeze([-1]);
  if (a.rank === 2 && b.rank === 2) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  if (b.rank === 2) {
    const lead = a.shape.slice(0, -1);
    return tf.matMul(a.reshape([-1, a.shape[a.rank - 1]!]) as tf.Tensor2D, b as tf.Tensor2D).reshape([...lead, b.shape[1]!]);
  }
  // Batched: broadcast the batch axes, fold them into one.
  const batch = H.broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const fa = expandTensor(a, [...batch, ...a.shape.slice(-2)]).reshape([-1, ...a.shape.slice(-2)]) as tf.Tensor3D;
  const fb = expandTensor(b, [...batch, ...b.shape.slice(-2)]).reshape([-1, ...b.shape.slice(-2)]) as tf.Tensor3D;
  const y = tf.matMul(fa, fb);
  return y.reshape([...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!]);
}

/**
 * Selects `idx` along `axis`. Forward with tf.gather; the gradient as a product with a 0/1
 * matrix, because the wasm backend has no kernel for gather's own gradient (UnsortedSegmentSum).
 */
function selectAlong(x: tf.Tensor, idx: number[], axis: number): tf.Tensor {
  const len = x.shape[axis]!;
  const f = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const value = tf.gather(input, tf.tensor1d(idx, "int32"), axis);
    const gradFunc = (dy: tf.Tensor): tf.Tensor => {
      const perm = Array.from({ length: dy.rank }, (_, d) => d);
      perm[axis] = dy.rank - 1;
      perm[dy.rank - 1] = axis;
      const moved = tf.transpose(dy, perm);
      const flat = moved.reshape([-1, idx.length]) as tf.Tensor2D;
      const sel = tf.oneHot(tf.tensor1d(idx, "int32"), len).toFloat() as tf.Tensor2D; // [idx, len]
      const back = tf.matMul(flat, sel).reshape([...moved.shape.slice(0, -1), len]);
      return tf.transpose(back, perm);
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor;
}

/** Per-axis index lists applied as slices where contiguous, else as selections. */
function sliceTensor(x: tf.Tensor, perAxis: number[][]): tf.Tensor {
  let y = x;
  const begin: number[] = [];
  const sizes: number[] = [];
  const scattered: number[] = [];
  perAxis.forEach((list, a) => {
    const contiguous = list.every((v, k) => k === 0 || v === list[k - 1]! + 1);
    if (contiguous) {
      begin.push(list[0] ?? 0);
      sizes.push(list.length);
    } else {
      begin.push(0);
      sizes.push(x.shape[a]!);
      scattered.push(a);
    }
  });
  if (sizes.some((s) => s === 0)) return tf.zeros(perAxis.map((l) => l.length), x.dtype);
  if (begin.some((b, a) => b !== 0 || sizes[a] !== x.shape[a])) y = tf.slice(y, begin, sizes);
  for (const a of scattered) y = selectAlong(y, perAxis[a]!, a);
  return y;
}

function gatherTensor(data: tf.Tensor, indices: H.HostValue, axis: number): tf.Tensor {
  const ax = H.normaliseAxis(axis, data.rank);
  const len = data.shape[ax]!;
  const flat = indices.values.map((g) => (g < 0 ? g + len : g));
  if (flat.some((g) => g < 0 || g >= len)) throw new Error(`Gather index out of range ${len}`);
  const y = flat.length <= 4096 ? selectAlong(data, flat, ax) : tf.gather(data, tf.tensor1d(flat, "int32"), ax);
  return y.reshape([...data.shape.slice(0, ax), ...indices.dims, ...data.shape.slice(ax + 1)]);
}

/** ONNX pads [begin..., end...] for the spatial axes, from `pads` or `auto_pad`. */
function spatialPads(n: OnnxNode, kernel: number[], dil: number[], inSize: number[], strides: number[]): { begin: number[]; end: number[] } {
  const auto = n.attributes.get("auto_pad")?.s ?? "NOTSET";
  const r = kernel.length;
  if (auto === "SAME_UPPER" || auto === "SAME_LOWER") {
    const begin: number[] = [];
    const end: number[] = [];
    for (let d = 0; d < r; d++) {
      const outSize = Math.ceil(inSize[d]! / strides[d]!);
      const total = Math.max(0, (outSize - 1) * strides[d]! + (kernel[d]! - 1) * dil[d]! + 1 - inSize[d]!);
      const small = Math.floor(total / 2);
      begin.push(auto === "SAME_UPPER" ? small : total - small);
      end.push(auto === "SAME_UPPER" ? total - small : small);
    }
    return { begin, end };
  }
  if (auto === "VALID") return { begin: Array<number>(r).fill(0), end: Array<number>(r).fill(0) };
  const pads = attrInts(n, "pads", Array<number>(2 * r).fill(0));
  return { begin: pads.slice(0, r), end: pads.slice(r, 2 * r) };
}

/** A value as NHWC (its channel-last form when it has one) and the rank of its NCHW form. */
function channelLastInput(v: Value): { xh: tf.Tensor4D; rank: number } {
  if (v.kind === "tensor" && v.nhwc) return { xh: v.nhwc, rank: 4 };
  const x = toTensor(v);
  return { xh: toNHWC(x), rank: x.rank };
}
/** The NHWC result of a convolution or pool as a value of the NCHW rank it stands for. */
function channelLastOutput(y: tf.Tensor4D, rank: number): Value {
  return rank === 4 ? channelsLast(y) : { kind: "tensor", t: fromNHWC(y, rank) };
}

/** NCHW (or NCL) input as NHWC, with 1-D convolutions and pools seen as 2-D ones of height 1. */
function toNHWC(x: tf.Tensor): tf.Tensor4D {
  const x4 = x.rank === 3 ? x.reshape([x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]) : x;
  return tf.transpose(x4, [0, 2, 3, 1]) as tf.Tensor4D;
}
function fromNHWC(y: tf.Tensor4D, rank: number): tf.Tensor {
  const out = tf.transpose(y, [0, 3, 1, 2]);
  return rank === 3 ? out.reshape([out.shape[0]!, out.shape[1]!, out.shape[3]!]) : out;
}
function two(v: number[], dflt: number): [number, number] {
  return v.length === 1 ? [1, v[0]!] : [v[0] ?? dflt, v[1] ?? dflt];
}
function twoPads(p: { begin: number[]; end: number[] }): { begin: [number, number]; end: [number, number] } {
  return p.begin.length === 1 ? { begin: [0, p.begin[0]!], end: [0, p.end[0]!] } : { begin: [p.begin[0]!, p.begin[1]!], end: [p.end[0]!, p.end[1]!] };
}

function conv(n: OnnxNode, xv: Value, w: tf.Tensor, bias: tf.Tensor | undefined): Value {
  const input = channelLastInput(xv);
  const rank = input.rank;
  const w4 = (w.rank === 3 ? w.reshape([w.shape[0]!, w.shape[1]!, 1, w.shape[2]!]) : w) as tf.Tensor4D;
  const group = attrInt(n, "group", 1);
  const kernel: [number, number] = [w4.shape[2], w4.shape[3]];
  const strides = two(attrInts(n, "strides", rank === 3 ? [1] : [1, 1]), 1);
  const dil = two(attrInts(n, "dilations", rank === 3 ? [1] : [1, 1]), 1);
  let xh = input.xh;
  const pads = twoPads(spatialPads(n, rank === 3 ? [kernel[1]] : kernel, rank === 3 ? [dil[1]] : dil, rank === 3 ? [xh.shape[2]] : [xh.shape[1], xh.shape[2]], rank === 3 ? [strides[1]] : strides));
  if (pads.begin.some((p) => p !== 0) || pads.end.some((p) => p !== 0)) {
    xh = tf.pad(xh, [[0, 0], [pads.begin[0], pads.end[0]], [pads.begin[1], pads.end[1]], [0, 0]]);
  }
  const cin = xh.shape[3];
  let y: tf.Tensor4D;
  if (group === 1) {
    const [f] = derived(w, "conv", () => [tf.transpose(w4, [2, 3, 1, 0])]);
    y = convolve(xh, f as tf.Tensor4D, "conv", strides, dil);
  } else if (group === cin && w4.shape[1] === 1) {
    const mult = w4.shape[0] / group;
    const [f] = derived(w, "depthwise", () => [tf.transpose(w4.reshape([group, mult, kernel[0], kernel[1]]), [2, 3, 0, 1])]);
    y = convolve(xh, f as tf.Tensor4D, "depthwise", strides, dil);
  } else {
    // Grouped: one convolution per group of input channels, outputs concatenated in order.
    const xs = tf.split(xh, group, 3);
    const ws = derived(w, `grouped:${group}`, () => tf.split(w4, group, 0).map((wg) => tf.transpose(wg, [2, 3, 1, 0])));
    y = tf.concat(xs.map((xg, g) => convolve(xg as tf.Tensor4D, ws[g] as tf.Tensor4D, "conv", strides, dil)), 3) as tf.Tensor4D;
  }
  if (bias) y = tf.add(y, bias) as tf.Tensor4D;
  return channelLastOutput(y, rank);
}

function convTranspose(n: OnnxNode, x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor {
  const rank = x.rank;
  const w4 = (w.rank === 3 ? w.reshape([w.shape[0]!, w.shape[1]!, 1, w.shape[2]!]) : w) as tf.Tensor4D;
  const xh = toNHWC(x);
  const [nb, h, wd] = xh.shape;
  const [kh, kw] = [w4.shape[2], w4.shape[3]];
  const strides = two(attrInts(n, "strides", rank === 3 ? [1] : [1, 1]), 1);
  const outPad = two(attrInts(n, "output_padding", rank === 3 ? [0] : [0, 0]), 0);
  const auto = attrStr(n, "auto_pad", "NOTSET");
  const fullH = (h - 1) * strides[0] + kh;
  const fullW = (wd - 1) * strides[1] + kw;
  let pads: { begin: [number, number]; end: [number, number] };
  if (auto === "SAME_UPPER" || auto === "SAME_LOWER") {
    const total = [fullH + outPad[0] - h * strides[0], fullW + outPad[1] - wd * strides[1]];
    const small = total.map((t) => Math.floor(t / 2));
    pads = auto === "SAME_UPPER" ? { begin: [small[0]!, small[1]!], end: [total[0]! - small[0]!, total[1]! - small[1]!] } : { begin: [total[0]! - small[0]!, total[1]! - small[1]!], end: [small[0]!, small[1]!] };
  } else pads = twoPads(spatialPads(n, rank === 3 ? [kw] : [kh, kw], [1, 1], [h, wd], strides));
  // Grouped: one transposed convolution per group of input channels, outputs concatenated in order.
  const group = attrInt(n, "group", 1);
  const coutPerGroup = w4.shape[1];
  const cout = coutPerGroup * group;
  const xs = group === 1 ? [xh] : tf.split(xh, group, 3);
  const ws = derived(w, `transposed:${group}`, () => (group === 1 ? [w4] : tf.split(w4, group, 0)).map((wg) => tf.transpose(wg, [2, 3, 1, 0]))); // [kh, kw, out, in]
  const ys = xs.map((xg, g) => tf.conv2dTranspose(xg as tf.Tensor4D, ws[g] as tf.Tensor4D, [nb, fullH, fullW, coutPerGroup], strides, "valid"));
  let y = (ys.length === 1 ? ys[0]! : tf.concat(ys, 3)) as tf.Tensor4D;
  // output_padding adds rows and columns after the full result (zeros before the bias).
  if (outPad[0] > 0 || outPad[1] > 0) y = tf.pad(y, [[0, 0], [0, outPad[0]], [0, outPad[1]], [0, 0]]);
  const outH = fullH + outPad[0] - pads.begin[0] - pads.end[0];
  const outW = fullW + outPad[1] - pads.begin[1] - pads.end[1];
  y = tf.slice(y, [0, pads.begin[0], pads.begin[1], 0], [nb, outH, outW, cout]);
  if (bias) y = tf.add(y, bias) as tf.Tensor4D;
  return fromNHWC(y, rank);
}

function pool(n: OnnxNode, xv: Value): Value {
  const input = channelLastInput(xv);
  const rank = input.rank;
  const k1 = attrInts(n, "kernel_shape", []);
  const kernel = two(k1, 1);
  const strides = two(attrInts(n, "strides", k1.map(() => 1)), 1);
  let xh = input.xh;
  const inHW = [xh.shape[1], xh.shape[2]];
  const pads = twoPads(spatialPads(n, k1, k1.map(() => 1), rank === 3 ? [inHW[1]!] : inHW, rank === 3 ? [strides[1]] : strides));
  // ceil_mode: one more window where it still starts inside the input or its begin padding.
  const extra = [0, 1].map((d) => {
    const span = inHW[d]! + pads.begin[d]! + pads.end[d]!;
    if (attrInt(n, "ceil_mode", 0) === 0) return 0;
    let out = Math.ceil((span - kernel[d]!) / strides[d]!) + 1;
    if ((out - 1) * strides[d]! >= inHW[d]! + pads.begin[d]!) out--;
    return Math.max(0, (out - 1) * strides[d]! + kernel[d]! - span);
  });
  const paddings: Array<[number, number]> = [[0, 0], [pads.begin[0], pads.end[0] + extra[0]!], [pads.begin[1], pads.end[1] + extra[1]!], [0, 0]];
  const padded = paddings.some(([a, b]) => a !== 0 || b !== 0);
  let y: tf.Tensor4D;
  if (n.opType === "MaxPool") {
    if (padded) xh = tf.pad(xh, paddings, -3.4e38);
    y = tf.maxPool(xh, kernel, strides, "valid");
  } else if (!padded) {
    y = tf.avgPool(xh, kernel, strides, "valid");
  } else {
    // Divide by the cells counted: real cells only, or with count_include_pad also the explicit
    // padding (never the cells ceil_mode adds), as onnxruntime and PyTorch do.
    const sum = tf.mul(tf.avgPool(tf.pad(xh, paddings, 0), kernel, strides, "valid"), kernel[0] * kernel[1]);
    const include = attrInt(n, "count_include_pad", 0) === 1;
    const ones = include
      ? tf.pad(tf.ones([1, inHW[0]! + pads.begin[0] + pads.end[0], inHW[1]! + pads.begin[1] + pads.end[1], 1]), [[0, 0], [0, extra[0]!], [0, extra[1]!], [0, 0]], 0)
      : tf.pad(tf.ones([1, inHW[0]!, inHW[1]!, 1]), paddings, 0);
    const count = tf.mul(tf.avgPool(ones as tf.Tensor4D, kernel, strides, "valid"), kernel[0] * kernel[1]);
    y = tf.div(sum, count) as tf.Tensor4D;
  }
  return channelLastOutput(y, rank);
}

/**
 * 3-D max and average pooling (NCDHW). torch exports nn.LocalResponseNorm as a 3-D AveragePool
 * over (channels, 1, 1) windows of the squared input.
 */
function pool3d(n: OnnxNode, x: tf.Tensor): tf.Tensor {
  if (x.rank !== 5) throw new Error(`3-D ${n.opType} of a rank-${x.rank} tensor`);
  const kernel = attrInts(n, "kernel_shape", []) as [number, number, number];
  const strides = attrInts(n, "strides", [1, 1, 1]) as [number, number, number];
  let xd = tf.transpose(x, [0, 2, 3, 4, 1]) as tf.Tensor5D; // NDHWC
  const inSize = xd.shape.slice(1, 4);
  const pads = spatialPads(n, kernel, [1, 1, 1], inSize, strides);
  const paddings: Array<[number, number]> = [[0, 0], ...pads.begin.map((b, d): [number, number] => [b, pads.end[d]!]), [0, 0]];
  const padded = paddings.some(([a, b]) => a !== 0 || b !== 0);
  let y: tf.Tensor5D;
  if (n.opType === "MaxPool") {
    if (padded) xd = tf.pad(xd, paddings, -3.4e38);
    y = tf.maxPool3d(xd, kernel, strides, "valid");
  } else if (!padded) {
    y = tf.avgPool3d(xd, kernel, strides, "valid");
  } else {
    const cells = kernel[0] * kernel[1] * kernel[2];
    const sum = tf.mul(tf.avgPool3d(tf.pad(xd, paddings, 0), kernel, strides, "valid"), cells);
    const ones = attrInt(n, "count_include_pad", 0) === 1 ? tf.ones([1, ...inSize.map((v, d) => v + pads.begin[d]! + pads.end[d]!), 1]) : tf.pad(tf.ones([1, ...inSize, 1]), paddings, 0);
    y = tf.div(sum, tf.mul(tf.avgPool3d(ones as tf.Tensor5D, kernel, strides, "valid"), cells)) as tf.Tensor5D;
  }
  return tf.transpose(y, [0, 4, 1, 2, 3]);
}

function padTensor(n: OnnxNode, _opset: number, x: tf.Tensor, pads: number[], value: number, axes: number[] | undefined): tf.Tensor {
  const r = x.rank;
  const begin = Array<number>(r).fill(0);
  const end = Array<number>(r).fill(0);
  const ax = (axes ?? Array.from({ length: r }, (_, d) => d)).map((a) => H.normaliseAxis(a, r));
  ax.forEach((a, k) => {
    begin[a] = pads[k] ?? 0;
    end[a] = pads[k + ax.length] ?? 0;
  });
  // Negative pads crop.
  let y = x;
  if (begin.some((p) => p < 0) || end.some((p) => p < 0)) {
    y = tf.slice(y, begin.map((p) => Math.max(0, -p)), y.shape.map((d, a) => d - Math.max(0, -begin[a]!) - Math.max(0, -end[a]!)));
  }
  const p: Array<[number, number]> = begin.map((b, a) => [Math.max(0, b), Math.max(0, end[a]!)]);
  if (p.every(([a, b]) => a === 0 && b === 0)) return y;
  const mode = attrStr(n, "mode", "constant");
  if (mode === "constant") return tf.pad(y, p, value);
  if (mode === "reflect") return tf.mirrorPad(y, p, "reflect");
  // edge: repeat the border element.
  const per = y.shape.map((d, a) => Array.from({ length: d + p[a]![0] + p[a]![1] }, (_, j) => Math.min(d - 1, Math.max(0, j - p[a]![0]))));
  return sliceTensor(y, per);
}

/** Interpolation along one axis as a [out, in] matrix (nearest or linear), per ONNX Resize. */
function interpolationMatrix(inLen: number, outLen: number, scale: number, mode: string, coord: string, nearestMode: string, cubic = { a: -0.75, excludeOutside: false }): number[][] {
  const m = Array.from({ length: outLen }, () => new Array<number>(inLen).fill(0));
  for (let o = 0; o < outLen; o++) {
    let xo: number;
    if (coord === "align_corners") xo = outLen === 1 ? 0 : (o * (inLen - 1)) / (outLen - 1);
    else if (coord === "asymmetric") xo = o / scale;
    else if (coord === "pytorch_half_pixel") xo = outLen > 1 ? (o + 0.5) / scale - 0.5 : 0;
    else if (coord === "half_pixel_symmetric") {
      const adj = outLen / (scale * inLen);
      const centre = inLen / 2;
      xo = centre * (1 - adj) + (o + 0.5) / scale - 0.5;
    } else xo = (o + 0.5) / scale - 0.5; // half_pixel
    if (mode === "nearest") {
      let j: number;
      if (nearestMode === "floor") j = Math.floor(xo);
      else if (nearestMode === "ceil") j = Math.ceil(xo);
      else if (nearestMode === "round_prefer_ceil") j = Math.round(xo);
      else j = xo - Math.floor(xo) === 0.5 ? Math.floor(xo) : Math.round(xo); // round_prefer_floor
      m[o]![Math.min(inLen - 1, Math.max(0, j))] = 1;
    } else if (mode === "cubic") {
      // Keys' cubic convolution over 4 taps; outside taps repeat the edge, or with
      // exclude_outside get no weight (the rest renormalised), as onnxruntime computes it.
      const x0 = Math.floor(xo);
      const taps = [-1, 0, 1, 2].map((k) => {
        const d = Math.abs(xo - (x0 + k));
        const a = cubic.a;
        const w = d <= 1 ? (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1 : d < 2 ? a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a : 0;
        const j = x0 + k;
        return { j: Math.min(inLen - 1, Math.max(0, j)), w: cubic.excludeOutside && (j < 0 || j >= inLen) ? 0 : w };
      });
      const total = cubic.excludeOutside ? taps.reduce((acc, t) => acc + t.w, 0) : 1;
      for (const t of taps) m[o]![t.j]! += t.w / total;
    } else {
      const c = Math.min(inLen - 1, Math.max(0, xo));
      const j0 = Math.floor(c);
      const j1 = Math.min(inLen - 1, j0 + 1);
      const w = c - j0;
      m[o]![j0]! += 1 - w;
      m[o]![j1]! += w;
    }
  }
  return m;
}

function resize(n: OnnxNode, opset: number, x: tf.Tensor, input: (k: number) => number[] | undefined): tf.Tensor {
  const mode = attrStr(n, "mode", "nearest") === "bilinear" ? "linear" : attrStr(n, "mode", "nearest");
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (n.opType === "Upsample") scales = opset >= 9 ? input(1) : n.attributes.get("scales")?.floats;
  else if (opset >= 11) {
    scales = input(2);
    sizes = input(3);
  } else scales = input(1);
  if (scales && scales.length === 0) scales = undefined;
  const coord = n.opType === "Upsample" || opset < 11 ? "asymmetric" : attrStr(n, "coordinate_transformation_mode", "half_pixel");
  const nearestMode = n.opType === "Upsample" || opset < 11 ? "floor" : attrStr(n, "nearest_mode", "round_prefer_floor");
  let y = x;
  for (let a = 0; a < x.rank; a++) {
    const inLen = x.shape[a]!;
    const outLen = sizes ? sizes[a]! : Math.floor(inLen * scales![a]!);
    const scale = sizes ? outLen / inLen : scales![a]!;
    if (outLen === inLen && scale === 1) continue;
    if (a < 2) throw new Error("Resize of the batch or channel axis");
    const m = tf.tensor2d(interpolationMatrix(inLen, outLen, scale, mode, coord, nearestMode, { a: attrFloat(n, "cubic_coeff_a", -0.75), excludeOutside: attrInt(n, "exclude_outside", 0) === 1 })); // [out, in]
    const perm = Array.from({ length: y.rank }, (_, d) => d);
    perm[a] = y.rank - 1;
    perm[y.rank - 1] = a;
    const moved = tf.transpose(y, perm);
    const flat = tf.matMul(moved.reshape([-1, inLen]) as tf.Tensor2D, m, false, true);
    y = tf.transpose(flat.reshape([...moved.shape.slice(0, -1), outLen]), perm);
  }
  return y;
}
