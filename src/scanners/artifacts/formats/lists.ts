// The reviewed data behind the non-pickle rules: rules/lists/artifact-formats.json.

import { loadRulesData } from "../../../core/catalog";
import type { Severity } from "../../../types";

export interface ArtifactFormatLists {
  keras: { allowedModulePrefixes: string[]; codeLayers: string[]; dangerousClasses: string[]; functionClasses: string[]; dangerousFunctionTypes: string[] };
  tensorflow: { unsafeOps: Array<{ op: string; severity: Severity; reason: string }> };
  onnx: { knownDomains: string[] };
  safetensors: { dtypes: Record<string, number>; maxHeaderBytes: number; maxMetadataBytes: number };
  /** Which metadata keys hold chat templates; how they are judged is rules/lists/model-folders.json (chatTemplate). */
  gguf: { templateKeys: string[]; templateKeyPrefixes: string[] };
}

export function formatLists(): ArtifactFormatLists {
  return loadRulesData<ArtifactFormatLists>("lists/artifact-formats.json", "artifact-formats");
}
