// What a model file says about itself, for the model card in the bill of materials: read from
// the documents the format readers already parsed, never by loading the model.

import type { ModelMetadata } from "../../../types";
import type { GgufDocument } from "./gguf";
import type { OnnxDocument } from "./onnx";
import type { SafetensorsDocument } from "./safetensors";

export function onnxModelMetadata(doc: OnnxDocument): ModelMetadata {
  const card = doc.card ?? { producerVersion: "", inputs: [], outputs: [], parameters: 0 };
  const m: ModelMetadata = { format: "onnx", parameters: card.parameters, inputs: card.inputs, outputs: card.outputs, properties: { irVersion: String(doc.irVersion) } };
  if (doc.producer) m.framework = `${doc.producer}${card.producerVersion ? ` ${card.producerVersion}` : ""}`;
  if (card.opset !== undefined) m.properties!.opset = String(card.opset);
  return m;
}

export function safetensorsModelMetadata(doc: SafetensorsDocument): ModelMetadata | undefined {
  if (!doc.header) return undefined;
  let parameters = 0;
  let tensors = 0;
  const dtypes = new Set<string>();
  for (const [name, entry] of Object.entries(doc.header)) {
    if (name === "__metadata__" || entry === null || typeof entry !== "object") continue;
    const { dtype, shape } = entry as { dtype?: unknown; shape?: unknown };
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) continue;
    tensors++;
    parameters += (shape as number[]).reduce((a, d) => a * d, 1);
    if (typeof dtype === "string") dtypes.add(dtype);
  }
  const m: ModelMetadata = { format: "safetensors", parameters, properties: { tensors: String(tensors), dtypes: [...dtypes].sort().join(", ") } };
  const meta = doc.header["__metadata__"];
  if (meta && typeof meta === "object" && typeof (meta as Record<string, unknown>)["format"] === "string") m.framework = String((meta as Record<string, unknown>)["format"]);
  return m;
}

export function ggufModelMetadata(doc: GgufDocument): ModelMetadata {
  const get = (key: string): string | undefined => doc.strings.find((s) => s.key === key)?.value;
  const m: ModelMetadata = { format: "gguf", framework: "llama.cpp (GGUF)", properties: { ggufVersion: String(doc.version), tensors: String(doc.tensorCount) } };
  const arch = get("general.architecture");
  if (arch) m.architecture = arch;
  const name = get("general.name");
  if (name) m.properties!.name = name.slice(0, 200);
  const size = get("general.size_label");
  if (size) m.properties!.sizeLabel = size.slice(0, 40);
  if (doc.parameters !== undefined) m.parameters = doc.parameters;
  if (arch) m.task = "text-generation";
  return m;
}
