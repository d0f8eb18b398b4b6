// Artifact protection: records for every target how it is protected (encryption state) and,
// across files, whether what was released is what was signed (detached CMS signatures,
// OpenSSF model signing bundles, SHA256SUMS manifests), plus POSIX file modes.

import type { ScanContext, ScanFile, ScannerPlugin } from "../../types";
import { schemaJson } from "../../core/catalog";
import { PROTECTION_DETECTORS, PROTECTION_FORMATS } from "./detect";
import { classifyProtection } from "./classify";
import type { EncryptionDoc } from "./documents";
import { protectProject } from "./project";
import { ALL_RULES, encryptionRules } from "./rules";
export { signatureFileScanner } from "./signature-files";
import { protectionData, protectionOptions, selectorMatch, type ProtectionOptions } from "./settings";

export const protectionScanner: ScannerPlugin = {
  id: "protection",
  kinds: "*",
  formats: PROTECTION_FORMATS,
  detectors: PROTECTION_DETECTORS,
  rules: ALL_RULES,
  optionsSchema: schemaJson("protection-options"),
  async scan(file: ScanFile, ctx: ScanContext): Promise<void> {
    const classification = await classifyProtection(file, protectionData(), ctx.settings.limits);
    ctx.annotate({ protection: classification.protection });
    let options: ProtectionOptions;
    try {
      options = protectionOptions(ctx.settings);
    } catch {
      return; // invalid config: scanProject raises it once as a usage error
    }
    const requirement = selectorMatch(options.requireEncryption, file.uri, file.kind, options, ctx.categoryOf);
    const doc: EncryptionDoc = { uri: file.uri, kind: file.kind, protection: classification.protection, detail: classification.detail, ...(requirement ? { requirement } : {}) };
    ctx.runRules(encryptionRules, doc);
  },
  async scanProject(ctx) {
    await protectProject(ctx);
  },
};

export { protectionScanner as scanner };
