// TensorFlow SavedModel (saved_model.pb): every op of every graph and function, decoded
// with protobufjs against the fields of tensorflow's protos that name ops (rules/proto/).

import { join } from "node:path";
import type * as protobuf from "protobufjs";
import { rulesDir } from "../../../core/catalog";

export interface TfNode {
  name: string;
  op: string;
  /** The graph function holding the node, or "" for the top-level graph. */
  fn: string;
  metaGraph: number;
}

export interface SavedModelDocument {
  nodes: TfNode[];
}

let savedModelType: protobuf.Type | undefined;
function type(): protobuf.Type {
  if (!savedModelType) savedModelType = (require("protobufjs") as typeof protobuf).loadSync(join(rulesDir(), "proto", "saved_model_ops.proto")).lookupType("tensorflow.SavedModel");
  return savedModelType;
}

type Msg = Record<string, unknown>;
const list = (v: unknown): Msg[] => (Array.isArray(v) ? (v as Msg[]) : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

export function parseSavedModel(bytes: Uint8Array): SavedModelDocument {
  const t = type();
  const model = t.toObject(t.decode(bytes), { defaults: false }) as Msg;
  const doc: SavedModelDocument = { nodes: [] };
  list(model["metaGraphs"]).forEach((mg, m) => {
    const graph = (mg["graphDef"] ?? {}) as Msg;
    for (const n of list(graph["node"])) doc.nodes.push({ name: str(n["name"]), op: str(n["op"]), fn: "", metaGraph: m });
    const lib = (graph["library"] ?? {}) as Msg;
    for (const f of list(lib["function"])) {
      const fname = str((f["signature"] as Msg | undefined)?.["name"]);
      for (const n of list(f["nodeDef"])) doc.nodes.push({ name: str(n["name"]), op: str(n["op"]), fn: fname, metaGraph: m });
    }
  });
  return doc;
}
