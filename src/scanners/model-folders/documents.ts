// Documents the model-folder rules check, and the reviewed data behind them
// (rules/lists/model-folders.json).

import { loadRulesData } from "../../core/catalog";
import type { Severity } from "../../types";
import type { ChatTemplateLists } from "../artifacts/formats/chat-template";

export interface ModelFolderLists {
  chatTemplate: ChatTemplateLists;
  templateKeys: string[];
  templateFileExtensions: string[];
  hydra: { targetKeys: string[]; allowedTargetPrefixes: string[]; dangerousTargets: string[] };
  keras: { loaderGadgets: Array<{ name: string; reason: string }>; remotePathKeys: string[] };
  weights: { safetensorsNames: string[]; pickleNames: string[] };
  xml: { extensions: string[]; rootElements: string[] };
  skops: { trustedTypePrefixes: string[]; dangerousTypePrefixes: string[] };
  tflite: { customOpSeverity: Severity };
}

export function modelFolderLists(): ModelFolderLists {
  return loadRulesData<ModelFolderLists>("lists/model-folders.json", "model-folders");
}

/** Jinja templates found in one file or archive member. */
export interface TemplateDocument {
  /** What holds them: "tokenizer_config.json", "YAML config", "Jinja file", ... */
  container: string;
  templates: Array<{ source: string; where: string; member?: string }>;
}

/** Hydra `_target_` entries (NeMo model configs, Hydra YAML): the callables instantiate() imports and calls. */
export interface HydraDocument {
  container: string;
  targets: Array<{ target: string; path: string; member?: string }>;
}

/** Python source or bytecode shipped with a model. */
export interface PythonCodeDocument {
  container: "model folder" | "archive";
  files: Array<{ name: string; member?: string; uri?: string; compiled: boolean }>;
}

/** One `auto_map` (or custom pipeline) entry: a class transformers imports from the repository's own code. */
export interface RemoteCodeEntry {
  /** Config file that names it (config.json, tokenizer_config.json, ...). */
  config: string;
  /** The auto class it serves (AutoModelForCausalLM, AutoTokenizer, ...). */
  autoClass: string;
  /** As written: "modeling_x.MyModel" or "other/repo--modeling_x.MyModel". */
  reference: string;
  /** The repository the code comes from when it is not this one. */
  otherRepository?: string;
  /** The .py file it resolves to, relative to the folder. */
  file: string;
  className: string;
  fileExists: boolean;
}

export interface ModelFolderDocument {
  /** The folder, relative to the working directory. */
  folder: string;
  remoteCode: RemoteCodeEntry[];
  /** Configs that set trust_remote_code themselves. */
  trustRemoteCodeSetIn: string[];
  safetensorsWeights: string[];
  pickleWeights: string[];
}

/** TorchServe model archive (.mar): the handler and other code TorchServe imports when it serves the model. */
export interface MarDocument {
  manifest: Record<string, unknown> | undefined;
  handler: string | undefined;
  pythonMembers: string[];
}

/** An XML model file (PMML, OpenVINO IR) and what its document type declaration asks a parser to do. */
export interface XmlDocument {
  root: string | undefined;
  doctype: string | undefined;
  entities: Array<{ name: string; external: boolean; system?: string; parameter: boolean; offset: number }>;
  wellFormed: boolean;
  error?: string;
}

/** skops archive: every type its schema.json asks skops.io.load to construct or call. */
export interface SkopsDocument {
  protocol: unknown;
  types: Array<{ type: string; loader: string; path: string }>;
}

/** TensorFlow Lite flatbuffer: the operators the model needs. */
export interface TfliteDocument {
  version: number;
  /** Custom operators by name (`Flex<TFOp>` runs a TensorFlow kernel through the Flex delegate), with how many operators use each. */
  customOps: Array<{ name: string; uses: number }>;
  builtinOps: number;
  subgraphs: number;
}

/** Flax msgpack checkpoint (flax.serialization.to_bytes): a tree of maps whose leaves are arrays as msgpack extensions. */
export interface FlaxDocument {
  arrays: number;
  /** Structural problems, each with the tree path where it was found. */
  problems: Array<{ path: string; problem: string }>;
}
