// Translates an ONNX graph into tfjs operations so gradients flow through it (white-box attacks).
// The operator set is deliberately small: the layers of common classifiers. A graph using any
// other operator is reported by `unsupportedOperators` and probed with black-box attacks instead.

import { tf } from "../backend";
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor } from "./proto";

export const TRANSLATED_OPERATORS: ReadonlySet<string> = new Set([
  "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "Conv", "MaxPool",
  "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape", "Transpose", "Concat", "Identity",
  "Constant", "Clip", "Dropout",
]);

/** Values flowing through the graph: float tensors, or small integer arrays (shapes for Reshape). */
type Value = { kind: "tensor"; t: tf.Tensor } | { kind: "ints"; values: number[]; dims: number[] };

/** Operators (with the reason) the translation cannot handle; empty when the whole graph translates. */
export function unsupportedOperators(graph: OnnxGraph): string[] {
  const out = new Set<string>();
  for (const n of graph.nodes) {
    if (n.domain !== "" && n.domain !== "ai.onnx") out.add(`${n.domain}.${n.opType}`);
    else if (!TRANSLATED_OPERATORS.has(n.opType)) out.add(n.opType);
    else if (n.opType === "Conv" && (n.attributes.get("kernel_shape")?.ints.length ?? 2) !== 2) out.add("Conv (not 2-D)");
    else if ((n.opType === "MaxPool" || n.opType === "AveragePool") && (n.attributes.get("ceil_mode")?.i ?? 0) !== 0) out.add(`${n.opType} (ceil_mode)`);
    else if ((n.opType === "MaxPool" || n.opType === "AveragePool") && (n.attributes.get("kernel_shape")?.ints.length ?? 0) !== 2) out.add(`${n.opType} (not 2-D)`);
  }
  return [...out].sort();
}

function attrInt(n: OnnxNode, name: string, dflt: number): number {
  return n.attributes.get(name)?.i ?? dflt;
}
function attrFloat(n: OnnxNode, name: string, dflt: number): number {
  return n.attributes.get(name)?.f ?? dflt;
}
function attrInts(n: OnnxNode, name: string, dflt: number[]): number[] {
  const a: OnnxAttribute | undefined = n.attributes.get(name);
  return a && a.ints.length > 0 ? a.ints : dflt;
}

function fromOnnxTensor(t: OnnxTensor): Value {
  if (t.values instanceof Float32Array) return { kind: "tensor", t: tf.tensor(t.values, t.dims, "float32") };
  return { kind: "ints", values: t.values, dims: t.dims };
}

export interface TranslatedGraph {
  run(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** Builds a differentiable function input -> first output. Call `unsupportedOperators` first. */
export function translateGraph(graph: OnnxGraph): TranslatedGraph {
  const consts = new Map<string, Value>();
  for (const [name, t] of graph.initializers) consts.set(name, fromOnnxTensor(t));
  const inputName = graph.inputs[0]?.name;
  const outputName = graph.outputs[0]?.name;
  if (!inputName || !outputName) throw new Error("the ONNX graph has no input or no output");

  const run = (x: tf.Tensor): tf.Tensor => {
    const env = new Map<string, Value>(consts);
    env.set(inputName, { kind: "tensor", t: x });
    const val = (name: string | undefined): Value => {
      const v = name ? env.get(name) : undefined;
      if (!v) throw new Error(`ONNX value ${name ?? "(missing)"} is not available`);
      return v;
    };
    const ten = (name: string | undefined): tf.Tensor => {
      const v = val(name);
      return v.kind === "tensor" ? v.t : tf.tensor(v.values, v.dims, "float32");
    };
    const ints = (name: string | undefined): number[] => {
      const v = val(name);
      if (v.kind === "ints") return v.values;
      return Array.from(v.t.dataSync());
    };
    const scalarOr = (name: string | undefined, dflt: number): number => (name ? (ints(name)[0] ?? dflt) : dflt);
    for (const n of graph.nodes) {
      const out = (v: Value | tf.Tensor): void => {
        env.set(n.outputs[0]!, v instanceof tf.Tensor ? { kind: "tensor", t: v } : v);
      };
      const i = n.inputs;
      switch (n.opType) {
        case "Identity":
        case "Dropout":
          out(val(i[0]));
          break;
        case "Constant": {
          const t = n.attributes.get("value")?.t;
          if (t) out(fromOnnxTensor(t));
          else if (n.attributes.get("value_float")?.f !== undefined) out(tf.scalar(n.attributes.get("value_float")!.f!));
          else if (n.attributes.get("value_ints")) out({ kind: "ints", values: n.attributes.get("value_ints")!.ints, dims: [n.attributes.get("value_ints")!.ints.length] });
          else if (n.attributes.get("value_int")?.i !== undefined) out({ kind: "ints", values: [n.attributes.get("value_int")!.i!], dims: [] });
          else throw new Error(`Constant node ${n.name} has a value form the probe does not read`);
          break;
        }
        case "Gemm": {
          const a = ten(i[0]).reshape([-1, ten(i[0]).shape[ten(i[0]).rank - 1]!]) as tf.Tensor2D;
          const b = ten(i[1]) as tf.Tensor2D;
          let y: tf.Tensor = tf.matMul(a, b, attrInt(n, "transA", 0) === 1, attrInt(n, "transB", 0) === 1);
          const alpha = attrFloat(n, "alpha", 1);
          if (alpha !== 1) y = tf.mul(y, alpha);
          if (i[2]) {
            const beta = attrFloat(n, "beta", 1);
            y = tf.add(y, beta === 1 ? ten(i[2]) : tf.mul(ten(i[2]), beta));
          }
          out(y);
          break;
        }
        case "MatMul": {
          const a = ten(i[0]);
          const b = ten(i[1]);
          if (a.rank === 2 && b.rank === 2) out(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D));
          else if (b.rank === 2) {
            const lead = a.shape.slice(0, -1);
            const y = tf.matMul(a.reshape([-1, a.shape[a.rank - 1]!]) as tf.Tensor2D, b as tf.Tensor2D);
            out(y.reshape([...lead, b.shape[1]!]));
          } else out(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D));
          break;
        }
        case "Add":
          out(tf.add(ten(i[0]), ten(i[1])));
          break;
        case "Sub":
          out(tf.sub(ten(i[0]), ten(i[1])));
          break;
        case "Mul":
          out(tf.mul(ten(i[0]), ten(i[1])));
          break;
        case "Div":
          out(tf.div(ten(i[0]), ten(i[1])));
          break;
        case "Relu":
          out(tf.relu(ten(i[0])));
          break;
        case "LeakyRelu":
          out(tf.leakyRelu(ten(i[0]), attrFloat(n, "alpha", 0.01)));
          break;
        case "Sigmoid":
          out(tf.sigmoid(ten(i[0])));
          break;
        case "Tanh":
          out(tf.tanh(ten(i[0])));
          break;
        case "Softmax": {
          const x0 = ten(i[0]);
          const axis = attrInt(n, "axis", graph.opset >= 13 ? -1 : 1);
          const ax = axis < 0 ? axis + x0.rank : axis;
          if (graph.opset < 13 && ax !== x0.rank - 1) {
            // Before opset 13 Softmax flattens the trailing axes into one.
            const shape = x0.shape;
            out(tf.softmax(x0.reshape([shape.slice(0, ax).reduce((p, q) => p * q, 1), -1])).reshape(shape));
          } else if (ax === x0.rank - 1) out(tf.softmax(x0));
          else {
            const e = tf.exp(tf.sub(x0, tf.max(x0, ax, true)));
            out(tf.div(e, tf.sum(e, ax, true)));
          }
          break;
        }
        case "Conv": {
          const x0 = ten(i[0]) as tf.Tensor4D;
          const w = ten(i[1]) as tf.Tensor4D;
          const group = attrInt(n, "group", 1);
          const strides = attrInts(n, "strides", [1, 1]) as [number, number];
          const dil = attrInts(n, "dilations", [1, 1]) as [number, number];
          const pad = convPadding(n);
          const xh = tf.transpose(x0, [0, 2, 3, 1]) as tf.Tensor4D;
          let y: tf.Tensor4D;
          if (group === 1) {
            y = tf.conv2d(xh, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, strides, pad, "NHWC", dil);
          } else if (group === x0.shape[1] && w.shape[1] === 1) {
            const mult = w.shape[0] / group;
            const f = tf.transpose(w.reshape([group, mult, w.shape[2], w.shape[3]]), [2, 3, 0, 1]) as tf.Tensor4D;
            y = tf.depthwiseConv2d(xh, f, strides, pad, "NHWC", dil);
          } else throw new Error(`Conv node ${n.name} uses group=${group}, which is neither 1 nor depthwise`);
          if (i[2]) y = tf.add(y, ten(i[2])) as tf.Tensor4D;
          out(tf.transpose(y, [0, 3, 1, 2]));
          break;
        }
        case "MaxPool":
        case "AveragePool": {
          const x0 = ten(i[0]) as tf.Tensor4D;
          const k = attrInts(n, "kernel_shape", []) as [number, number];
          const strides = attrInts(n, "strides", [1, 1]) as [number, number];
          const pads = explicitPads(n, k, [1, 1], [x0.shape[2], x0.shape[3]], strides);
          let xh = tf.transpose(x0, [0, 2, 3, 1]) as tf.Tensor4D;
          const padded = pads.some((p) => p !== 0);
          const paddings: Array<[number, number]> = [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]];
          let y: tf.Tensor4D;
          if (n.opType === "MaxPool") {
            if (padded) xh = tf.pad(xh, paddings, -3.4e38);
            y = tf.maxPool(xh, k, strides, "valid");
          } else if (!padded || attrInt(n, "count_include_pad", 0) === 1) {
            y = tf.avgPool(padded ? tf.pad(xh, paddings, 0) : xh, k, strides, "valid");
          } else {
            // Average over the real (unpadded) cells only.
            const sum = tf.avgPool(tf.pad(xh, paddings, 0), k, strides, "valid");
            const count = tf.avgPool(tf.pad(tf.onesLike(xh), paddings, 0), k, strides, "valid");
            y = tf.div(sum, count);
          }
          out(tf.transpose(y, [0, 3, 1, 2]));
          break;
        }
        case "GlobalAveragePool": {
          const x0 = ten(i[0]);
          out(tf.mean(x0, Array.from({ length: x0.rank - 2 }, (_, d) => d + 2), true));
          break;
        }
        case "BatchNormalization": {
          const x0 = ten(i[0]);
          const shape = [1, x0.shape[1]!, ...Array<number>(x0.rank - 2).fill(1)];
          const [scale, bias, mean, variance] = [ten(i[1]), ten(i[2]), ten(i[3]), ten(i[4])].map((t) => t.reshape(shape));
          const eps = attrFloat(n, "epsilon", 1e-5);
          out(tf.add(tf.mul(tf.div(tf.sub(x0, mean!), tf.sqrt(tf.add(variance!, eps))), scale!), bias!));
          break;
        }
        case "Flatten": {
          const x0 = ten(i[0]);
          let axis = attrInt(n, "axis", 1);
          if (axis < 0) axis += x0.rank;
          const lead = x0.shape.slice(0, axis).reduce((p, q) => p * q, 1);
          out(x0.reshape([lead, -1]));
          break;
        }
        case "Reshape": {
          const v = val(i[0]);
          const target = ints(i[1]);
          const inShape = v.kind === "tensor" ? v.t.shape : v.dims;
          const allowZero = attrInt(n, "allowzero", 0) === 1;
          const shape = target.map((d, k) => (d === 0 && !allowZero ? inShape[k]! : d));
          if (v.kind === "tensor") out(v.t.reshape(shape));
          else out({ kind: "ints", values: v.values, dims: shape });
          break;
        }
        case "Transpose": {
          const x0 = ten(i[0]);
          const perm = attrInts(n, "perm", Array.from({ length: x0.rank }, (_, d) => x0.rank - 1 - d));
          out(tf.transpose(x0, perm));
          break;
        }
        case "Concat": {
          const axis = attrInt(n, "axis", 0);
          const vs = i.filter((s) => s !== "").map((s) => val(s));
          if (vs.every((v) => v.kind === "ints")) {
            const values = vs.flatMap((v) => (v.kind === "ints" ? v.values : []));
            out({ kind: "ints", values, dims: [values.length] });
          } else out(tf.concat(i.filter((s) => s !== "").map((s) => ten(s)), axis));
          break;
        }
        case "Clip": {
          const lo = i[1] ? scalarOr(i[1], -3.4e38) : attrFloat(n, "min", -3.4e38);
          const hi = i[2] ? scalarOr(i[2], 3.4e38) : attrFloat(n, "max", 3.4e38);
          out(tf.clipByValue(ten(i[0]), lo, hi));
          break;
        }
        default:
          throw new Error(`ONNX operator ${n.opType} is outside the translated set`);
      }
    }
    return ten(outputName);
  };
  return {
    run,
    dispose() {
      for (const v of consts.values()) if (v.kind === "tensor") v.t.dispose();
    },
  };
}

/** ONNX pads [top, left, bottom, right], from `pads` or `auto_pad`. */
function explicitPads(n: OnnxNode, kernel: number[], dil: number[], inHW: number[], strides: number[]): [number, number, number, number] {
  const auto = n.attributes.get("auto_pad")?.s ?? "NOTSET";
  if (auto === "SAME_UPPER" || auto === "SAME_LOWER") {
    const p: number[] = [];
    for (let d = 0; d < 2; d++) {
      const outSize = Math.ceil(inHW[d]! / strides[d]!);
      const total = Math.max(0, (outSize - 1) * strides[d]! + (kernel[d]! - 1) * dil[d]! + 1 - inHW[d]!);
      const small = Math.floor(total / 2);
      p.push(auto === "SAME_UPPER" ? small : total - small, auto === "SAME_UPPER" ? total - small : small);
    }
    return [p[0]!, p[2]!, p[1]!, p[3]!];
  }
  const pads = attrInts(n, "pads", [0, 0, 0, 0]);
  return [pads[0] ?? 0, pads[1] ?? 0, pads[2] ?? 0, pads[3] ?? 0];
}

function convPadding(n: OnnxNode): "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]] {
  const auto = n.attributes.get("auto_pad")?.s ?? "NOTSET";
  if (auto === "SAME_UPPER") return "same";
  if (auto === "VALID") return "valid";
  if (auto === "SAME_LOWER") throw new Error(`Conv node ${n.name} uses auto_pad SAME_LOWER`);
  const p = attrInts(n, "pads", [0, 0, 0, 0]);
  if (p.every((v) => v === 0)) return "valid";
  return [[0, 0], [p[0] ?? 0, p[2] ?? 0], [p[1] ?? 0, p[3] ?? 0], [0, 0]];
}
