// A small reader for the parts of the ONNX protobuf (onnx.proto3) the probe needs: the graph's
// nodes, attributes, initializers, inputs and outputs. Protobuf wire format: varint keys,
// length-delimited submessages; repeated numbers may be packed or not.

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** onnx.TensorProto.DataType: 1 float, 6 int32, 7 int64, 11 double. */
  dataType: number;
  /** Values as numbers (int64 converted; fine for shapes and small ints). */
  values: Float32Array | number[];
}

export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  /** A subgraph (If's then_branch and else_branch). */
  g?: OnnxSubgraph;
  floats: number[];
  ints: number[];
  /** STRINGS attributes (the activations of LSTM, GRU and RNN). */
  strings: string[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** Dimensions; -1 for symbolic or unknown ones. */
  shape: number[];
}

export interface OnnxSubgraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxGraph extends OnnxSubgraph {
  opset: number;
}

/** Subgraphs nest (an If inside an If's branch); deeper nesting than this is refused. */
const MAX_GRAPH_DEPTH = 8;

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end = buf.length, start = 0) {
    this.pos = start;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error("truncated varint in ONNX protobuf");
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error("malformed varint in ONNX protobuf");
  }
  /** Signed int64 from a varint (two's complement; values beyond 2^53 lose precision). */
  int64(): number {
    // Negative int64 values take ten bytes; summing them as doubles loses the low bits (-1 became 0).
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error("truncated varint in ONNX protobuf");
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, result));
      shift += 7n;
    }
    throw new Error("malformed varint in ONNX protobuf");
  }
  bytes(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error("truncated field in ONNX protobuf");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  sub(): Reader {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error("truncated message in ONNX protobuf");
    const r = new Reader(this.buf, this.pos + len, this.pos);
    this.pos += len;
    return r;
  }
  float(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const len = this.varint();
      this.pos += len;
    }
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire} in ONNX file`);
  }
  /** Repeated varints, packed (wire 2) or one per key (wire 0). */
  repeatedInt(wire: number, into: number[]): void {
    if (wire === 2) {
      const r = this.sub();
      while (!r.done()) into.push(r.int64());
    } else into.push(this.int64());
  }
  repeatedFloat(wire: number, into: number[]): void {
    if (wire === 2) {
      const r = this.sub();
      while (!r.done()) into.push(r.float());
    } else into.push(this.float());
  }
}

const utf8 = new TextDecoder();

function readTensor(r: Reader): OnnxTensor {
  const dims: number[] = [];
  let dataType = 0;
  let name = "";
  const floats: number[] = [];
  const ints: number[] = [];
  const doubles: number[] = [];
  let raw: Uint8Array | undefined;
  let external = false;
  while (!r.done()) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1) r.repeatedInt(wire, dims);
    else if (field === 2) dataType = r.varint();
    else if (field === 4) r.repeatedFloat(wire, floats);
    else if (field === 5 || field === 7) r.repeatedInt(wire, ints);
    else if (field === 8) name = utf8.decode(r.bytes());
    else if (field === 9) raw = r.bytes();
    else if (field === 10) {
      if (wire === 2) {
        const s = r.sub();
        while (!s.done()) {
          doubles.push(new DataView(s.buf.buffer, s.buf.byteOffset + s.pos, 8).getFloat64(0, true));
          s.pos += 8;
        }
      } else {
        doubles.push(new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 8).getFloat64(0, true));
        r.pos += 8;
      }
    } else if (field === 14) external = r.varint() === 1;
    else r.skip(wire);
  }
  if (external) throw new Error(`tensor ${name} keeps its data in an external file, which the probe does not read`);
  const count = dims.reduce((a, b) => a * b, 1);
  let values: Float32Array | number[];
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (dataType === 1) {
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
    } else if (dataType === 11) {
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat64(i * 8, true);
    } else if (dataType === 7) {
      values = [];
      for (let i = 0; i < count; i++) values.push(Number(view.getBigInt64(i * 8, true)));
    } else if (dataType === 6) {
      values = [];
      for (let i = 0; i < count; i++) values.push(view.getInt32(i * 4, true));
    } else if (dataType === 10 || dataType === 16) {
      // float16 and bfloat16 weights (converted models) are widened to float32.
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = dataType === 10 ? halfToFloat(view.getUint16(i * 2, true)) : bfloat16ToFloat(view.getUint16(i * 2, true));
    } else if (dataType === 9 || dataType === 2 || dataType === 3) {
      // bool, uint8, int8: one byte each.
      values = [];
      for (let i = 0; i < count; i++) values.push(dataType === 3 ? view.getInt8(i) : view.getUint8(i));
    } else throw new Error(`tensor ${name} has ONNX data type ${dataType}, which the probe does not read`);
  } else if (dataType === 1) values = Float32Array.from(floats);
  // Without raw_data, float16 and bfloat16 values are their bit patterns in int32_data.
  else if (dataType === 10) values = Float32Array.from(ints, halfToFloat);
  else if (dataType === 16) values = Float32Array.from(ints, bfloat16ToFloat);
  else if (dataType === 11) values = Float32Array.from(doubles);
  else values = ints;
  return { name, dims, dataType, values };
}

/** IEEE 754 half precision bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits (the upper half of a float32) to a number. */
function bfloat16ToFloat(bits: number): number {
  return new Float32Array(new Uint32Array([(bits & 0xffff) << 16]).buffer)[0]!;
}

function readAttribute(r: Reader, depth: number): OnnxAttribute {
  const a: OnnxAttribute = { name: "", floats: [], ints: [], strings: [] };
  while (!r.done()) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1) a.name = utf8.decode(r.bytes());
    else if (field === 2) a.f = r.float();
    else if (field === 3) a.i = r.int64();
    else if (field === 4) a.s = utf8.decode(r.bytes());
    else if (field === 5) a.t = readTensor(r.sub());
    else if (field === 6) a.g = readGraph(r.sub(), depth + 1);
    else if (field === 7) r.repeatedFloat(wire, a.floats);
    else if (field === 8) r.repeatedInt(wire, a.ints);
    else if (field === 9 && wire === 2) a.strings.push(utf8.decode(r.bytes()));
    else r.skip(wire);
  }
  return a;
}

function readNode(r: Reader, depth: number): OnnxNode {
  const n: OnnxNode = { name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: new Map() };
  while (!r.done()) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1) n.inputs.push(utf8.decode(r.bytes()));
    else if (field === 2) n.outputs.push(utf8.decode(r.bytes()));
    else if (field === 3) n.name = utf8.decode(r.bytes());
    else if (field === 4) n.opType = utf8.decode(r.bytes());
    else if (field === 5) {
      const a = readAttribute(r.sub(), depth);
      n.attributes.set(a.name, a);
    } else if (field === 7) n.domain = utf8.decode(r.bytes());
    else r.skip(wire);
  }
  return n;
}

function readValueInfo(r: Reader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: "", elemType: 0, shape: [] };
  while (!r.done()) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    if (field === 1) v.name = utf8.decode(r.bytes());
    else if (field === 2) {
      const type = r.sub();
      while (!type.done()) {
        const k = type.varint();
        if (Math.floor(k / 8) !== 1) {
          type.skip(k & 7);
          continue;
        }
        const tt = type.sub();
        while (!tt.done()) {
          const k2 = tt.varint();
          const f2 = Math.floor(k2 / 8);
          if (f2 === 1) v.elemType = tt.varint();
          else if (f2 === 2) {
            const shape = tt.sub();
            while (!shape.done()) {
              const k3 = shape.varint();
              if (Math.floor(k3 / 8) !== 1) {
                shape.skip(k3 & 7);
                continue;
              }
              const dim = shape.sub();
              let size = -1;
              while (!dim.done()) {
                const k4 = dim.varint();
                if (Math.floor(k4 / 8) === 1) size = dim.int64();
                else dim.skip(k4 & 7);
              }
              v.shape.push(size);
            }
          } else tt.skip(k2 & 7);
        }
      }
    } else r.skip(key & 7);
  }
  return v;
}

function readGraph(g: Reader, depth: number): OnnxSubgraph {
  if (depth > MAX_GRAPH_DEPTH) throw new Error(`ONNX subgraphs nested deeper than ${MAX_GRAPH_DEPTH}`);
  const graph: OnnxSubgraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  while (!g.done()) {
    const k = g.varint();
    const f = Math.floor(k / 8);
    if (f === 1) graph.nodes.push(readNode(g.sub(), depth));
    else if (f === 5) {
      const t = readTensor(g.sub());
      graph.initializers.set(t.name, t);
    } else if (f === 11) graph.inputs.push(readValueInfo(g.sub()));
    else if (f === 12) graph.outputs.push(readValueInfo(g.sub()));
    else g.skip(k & 7);
  }
  return graph;
}

export function parseOnnxModel(buf: Uint8Array): OnnxGraph {
  const r = new Reader(buf);
  let graph: OnnxGraph | undefined;
  let opset = 0;
  while (!r.done()) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 7) {
      graph = { ...readGraph(r.sub(), 0), opset: 0 };
    } else if (field === 8) {
      const o = r.sub();
      let domain = "";
      let version = 0;
      while (!o.done()) {
        const k = o.varint();
        const f = Math.floor(k / 8);
        if (f === 1) domain = utf8.decode(o.bytes());
        else if (f === 2) version = o.int64();
        else o.skip(k & 7);
      }
      if (domain === "" || domain === "ai.onnx") opset = version;
    } else r.skip(wire);
  }
  if (!graph) throw new Error("the file holds no ONNX graph");
  graph.opset = opset;
  // Graph inputs also list initializers in older exports; keep only the real feeds.
  graph.inputs = graph.inputs.filter((i) => !graph!.initializers.has(i.name));
  return graph;
}
