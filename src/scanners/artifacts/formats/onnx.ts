// ONNX models decoded with protobufjs against the official onnx.proto (kept as data in
// rules/proto/onnx.proto). Collects what the rules judge: external data locations and the
// operator domains every node (in the graph, subgraphs and functions) uses.

import { join } from "node:path";
import * as protobuf from "protobufjs";
import { rulesDir } from "../../../core/catalog";

export interface OnnxExternalData {
  tensor: string;
  location: string;
  /** Where the tensor sits: "graph.initializer", "graph.node[3].attribute.t", ... */
  where: string;
}

export interface OnnxNodeRef {
  domain: string;
  opType: string;
  node: string;
  where: string;
}

export interface OnnxDocument {
  irVersion: number;
  producer: string;
  opsetDomains: string[];
  /** Domains of functions the model defines itself (their ops are composed of others). */
  localFunctionDomains: string[];
  nodes: OnnxNodeRef[];
  externalData: OnnxExternalData[];
  /** For the model card: what the graph takes and returns, its opset and its size. */
  card?: { producerVersion: string; opset?: number; inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[]; parameters: number };
}

export interface OnnxValueInfo {
  name: string;
  dtype?: string;
  shape?: Array<number | string>;
}

/** TensorProto.DataType names (onnx.proto). */
const ONNX_DTYPES: Record<number, string> = { 1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16" };

/** Graph inputs and outputs, leaving out inputs that are initializers (weights, in older exports). */
function valueInfos(values: Msg[], exclude: ReadonlySet<string>): OnnxValueInfo[] {
  return values
    .filter((v) => !exclude.has(str(v["name"])))
    .slice(0, 64)
    .map((v) => {
      const tensor = ((v["type"] as Msg | undefined)?.["tensorType"] as Msg | undefined) ?? undefined;
      const info: OnnxValueInfo = { name: str(v["name"]) };
      const dtype = tensor ? ONNX_DTYPES[toNumber(tensor["elemType"])] : undefined;
      if (dtype) info.dtype = dtype;
      const dims = list((tensor?.["shape"] as Msg | undefined)?.["dim"]);
      if (tensor?.["shape"]) info.shape = dims.map((d) => (d["dimParam"] ? str(d["dimParam"]) : d["dimValue"] !== undefined && d["dimValue"] !== null ? toNumber(d["dimValue"]) : "?"));
      return info;
    });
}

let modelType: protobuf.Type | undefined;
function onnxModelType(): protobuf.Type {
  if (!modelType) {
    const root = protobuf.loadSync(join(rulesDir(), "proto", "onnx.proto"));
    modelType = root.lookupType("onnx.ModelProto");
  }
  return modelType;
}

type Msg = Record<string, unknown>;
const toNumber = (v: unknown): number => (v && typeof v === "object" && "toNumber" in v ? (v as { toNumber(): number }).toNumber() : Number(v ?? 0));
const list = (v: unknown): Msg[] => (Array.isArray(v) ? (v as Msg[]) : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

function tensorExternal(t: Msg, where: string, out: OnnxExternalData[]): void {
  const entries = list(t["externalData"]);
  if (entries.length === 0) return;
  const location = entries.find((e) => e["key"] === "location");
  out.push({ tensor: str(t["name"]), location: str(location?.["value"]), where });
}

function walkGraph(g: Msg, where: string, doc: OnnxDocument, depth: number): void {
  if (depth > 64) return;
  list(g["initializer"]).forEach((t, k) => tensorExternal(t, `${where}.initializer[${k}]`, doc.externalData));
  list(g["sparseInitializer"]).forEach((s, k) => {
    if (s["values"]) tensorExternal(s["values"] as Msg, `${where}.sparse_initializer[${k}].values`, doc.externalData);
    if (s["indices"]) tensorExternal(s["indices"] as Msg, `${where}.sparse_initializer[${k}].indices`, doc.externalData);
  });
  list(g["node"]).forEach((n, k) => walkNode(n, `${where}.node[${k}]`, doc, depth));
}

function walkNode(n: Msg, where: string, doc: OnnxDocument, depth: number): void {
  doc.nodes.push({ domain: str(n["domain"]), opType: str(n["opType"]), node: str(n["name"]), where });
  list(n["attribute"]).forEach((a, k) => {
    const aw = `${where}.attribute[${k}]`;
    if (a["t"]) tensorExternal(a["t"] as Msg, `${aw}.t`, doc.externalData);
    list(a["tensors"]).forEach((t, j) => tensorExternal(t, `${aw}.tensors[${j}]`, doc.externalData));
    if (a["g"]) walkGraph(a["g"] as Msg, `${aw}.g`, doc, depth + 1);
    list(a["graphs"]).forEach((sg, j) => walkGraph(sg, `${aw}.graphs[${j}]`, doc, depth + 1));
  });
}

export function parseOnnx(bytes: Uint8Array): OnnxDocument {
  const type = onnxModelType();
  // The decoded message is read directly: converting it with toObject would copy every
  // tensor's raw_data into JavaScript arrays (gigabytes for a large model).
  const model = type.decode(bytes) as unknown as Msg;
  if (!model["graph"] && !model["irVersion"]) throw new Error("no ONNX graph or ir_version");
  const doc: OnnxDocument = {
    irVersion: toNumber(model["irVersion"]),
    producer: str(model["producerName"]),
    opsetDomains: list(model["opsetImport"]).map((o) => str(o["domain"])),
    localFunctionDomains: [],
    nodes: [],
    externalData: [],
    card: { producerVersion: str(model["producerVersion"]), inputs: [], outputs: [], parameters: 0 },
  };
  const defaultOpset = list(model["opsetImport"]).find((o) => str(o["domain"]) === "" || str(o["domain"]) === "ai.onnx");
  if (defaultOpset) doc.card!.opset = toNumber(defaultOpset["version"]);
  const graph = model["graph"] as Msg | undefined;
  if (graph) {
    const initializers = list(graph["initializer"]);
    doc.card!.parameters = initializers.reduce((a, t) => a + list(t["dims"]).reduce((p: number, d) => p * toNumber(d), 1), 0);
    const weights = new Set(initializers.map((t) => str(t["name"])));
    doc.card!.inputs = valueInfos(list(graph["input"]), weights);
    doc.card!.outputs = valueInfos(list(graph["output"]), new Set());
  }
  if (graph) walkGraph(graph, "graph", doc, 0);
  list(model["functions"]).forEach((f, k) => {
    doc.localFunctionDomains.push(str(f["domain"]));
    list(f["node"]).forEach((n, j) => walkNode(n, `functions[${k}].node[${j}]`, doc, 0));
  });
  return doc;
}
