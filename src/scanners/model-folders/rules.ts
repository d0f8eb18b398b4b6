// Rules over LLM-era model folders and the formats around them.

import type { Rule } from "../../types";
import { analyseChatTemplate, worstSeverity } from "../artifacts/formats/chat-template";
import { formatLists } from "../artifacts/formats/lists";
import { modelFolderLists, type HydraDocument, type MarDocument, type ModelFolderDocument, type PythonCodeDocument, type FlaxDocument, type SkopsDocument, type TemplateDocument, type TfliteDocument, type XmlDocument } from "./documents";

export const chatTemplateInjection: Rule<TemplateDocument> = {
  meta: {
    id: "artifact/chat-template-injection",
    appliesTo: { kinds: ["json", "yaml", "text", "zip", "tar", "gzip"] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    const lists = modelFolderLists().chatTemplate;
    for (const t of doc.templates) {
      const analysis = analyseChatTemplate(t.source, lists);
      const severity = worstSeverity(analysis.issues);
      if (!severity) continue;
      const first = analysis.issues.find((i) => i.severity === severity)!;
      ctx.report({
        messageId: "found",
        data: { message: `The ${doc.container} ${t.where === "file" ? "is" : `key ${t.where} holds`} a Jinja chat template that ${first.reason}; chat runtimes render it on every request.` },
        severity,
        ...(t.member ? { location: { member: t.member } } : {}),
        evidence: { where: t.where, container: doc.container, issues: analysis.issues.map((i) => ({ text: i.text, reason: i.reason, severity: i.severity })), analysedAs: analysis.depth, ...(analysis.parseError ? { parseError: analysis.parseError } : {}), templateLength: t.source.length },
        fingerprintKey: `${t.member ?? ""}:${t.where}`,
      });
    }
  },
};

function targetVerdict(target: string): "dangerous" | "unknown" | "allowed" {
  const { allowedTargetPrefixes, dangerousTargets } = modelFolderLists().hydra;
  const matches = (p: string): boolean => (p.endsWith(".") ? target.startsWith(p) : target === p || target.startsWith(`${p}.`));
  if (dangerousTargets.some(matches)) return "dangerous";
  // A target that climbs through a dunder attribute is an escape whatever its root.
  if (/(^|\.)__\w+__(\.|$)/.test(target)) return "dangerous";
  if (allowedTargetPrefixes.some(matches)) return "allowed";
  return "unknown";
}

export const hydraTarget: Rule<HydraDocument> = {
  meta: {
    id: "artifact/hydra-target",
    appliesTo: { kinds: ["json", "yaml", "zip", "tar", "gzip"] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    for (const t of doc.targets) {
      const verdict = targetVerdict(t.target);
      if (verdict === "allowed") continue;
      ctx.report({
        messageId: "found",
        data: { message:
          verdict === "dangerous"
            ? `The ${doc.container} sets ${t.path} to \`${t.target}\`, which Hydra's instantiate() imports and calls when the model is restored: it runs code or processes (CVE-2025-23304).`
            : `The ${doc.container} sets ${t.path} to \`${t.target}\`, a callable outside NeMo, PyTorch and the other trusted roots that Hydra's instantiate() imports and calls when the model is restored.` },
        severity: verdict === "dangerous" ? "critical" : "high",
        ...(t.member ? { location: { member: t.member } } : {}),
        evidence: { target: t.target, path: t.path, container: doc.container },
        fingerprintKey: `${t.member ?? ""}:${t.path}:${t.target}`,
      });
    }
  },
};

export const pythonCode: Rule<PythonCodeDocument> = {
  meta: {
    id: "artifact/python-code",
    appliesTo: { conditions: ["the file is in a model folder or is an archive"], kinds: "*" },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    for (const f of doc.files) {
      ctx.report({
        messageId: "found",
        data: { message: f.compiled
          ? `The ${doc.container} ships compiled Python bytecode ${JSON.stringify(f.member ?? f.name)}, which cannot be reviewed as source and runs if anything imports it.`
          : `The ${doc.container} ships Python source ${JSON.stringify(f.member ?? f.name)}, which custom loaders, pipelines and trust_remote_code import and run.` },
        severity: f.compiled ? "high" : "medium",
        location: { ...(f.member ? { member: f.member } : {}), ...(f.uri ? { uri: f.uri } : {}) },
        evidence: { file: f.name, compiled: f.compiled, container: doc.container },
        fingerprintKey: `py:${f.member ?? f.name}`,
      });
    }
  },
};

export const remoteCode: Rule<ModelFolderDocument> = {
  meta: {
    id: "artifact/remote-code",
    appliesTo: { conditions: ["the file is a Hugging Face config in a model folder"], kinds: ["json"] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    const byConfig = new Map<string, ModelFolderDocument["remoteCode"]>();
    for (const e of doc.remoteCode) byConfig.set(e.config, [...(byConfig.get(e.config) ?? []), e]);
    for (const [config, entries] of byConfig) {
      const foreign = entries.filter((e) => e.otherRepository);
      const missing = entries.filter((e) => !e.otherRepository && !e.fileExists);
      const named = entries.map((e) => `${e.autoClass} → ${e.className} in ${e.otherRepository ? `${e.otherRepository}:` : ""}${e.file}`);
      const extra = [
        foreign.length ? ` ${foreign.length} of them fetch code from another repository (${[...new Set(foreign.map((e) => e.otherRepository))].join(", ")}) at load time` : "",
        missing.length ? ` ${[...new Set(missing.map((e) => e.file))].join(", ")} ${missing.length === 1 ? "is" : "are"} not in the folder` : "",
      ].filter(Boolean);
      ctx.report({
        messageId: "found",
        data: { message: `${config} maps ${entries.length} auto class${entries.length === 1 ? "" : "es"} to code in the model repository (${named.join("; ")}), which runs when the model is loaded with trust_remote_code=True${extra.length ? `;${extra.join(";")}` : ""}.` },
        location: { uri: `${doc.folder === "." ? "" : `${doc.folder}/`}${config}` },
        evidence: {
          folder: doc.folder,
          config,
          entries: entries.map((e) => ({ autoClass: e.autoClass, reference: e.reference, file: e.file, className: e.className, fileExists: e.fileExists, ...(e.otherRepository ? { otherRepository: e.otherRepository } : {}) })),
        },
        fingerprintKey: `auto_map:${config}`,
      });
    }
    for (const config of doc.trustRemoteCodeSetIn) {
      if (byConfig.has(config)) continue;
      ctx.report({
        messageId: "found",
        data: { message: `${config} sets trust_remote_code, asking loaders to run code from the model repository.` },
        severity: "medium",
        location: { uri: `${doc.folder === "." ? "" : `${doc.folder}/`}${config}` },
        evidence: { folder: doc.folder, config },
        fingerprintKey: `trust_remote_code:${config}`,
      });
    }
  },
};

export const pickleWeights: Rule<ModelFolderDocument> = {
  meta: {
    id: "artifact/pickle-weights",
    appliesTo: { conditions: ["the file is in a Hugging Face model folder"], kinds: "*" },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    if (doc.pickleWeights.length === 0) return;
    const first = doc.pickleWeights[0]!;
    const uri = `${doc.folder === "." ? "" : `${doc.folder}/`}${first}`;
    if (doc.safetensorsWeights.length > 0) {
      ctx.report({
        messageId: "found",
        data: { message: `The model folder ${doc.folder} holds weights in pickle form (${doc.pickleWeights.join(", ")}) beside safetensors (${doc.safetensorsWeights.join(", ")}): transformers and diffusers load the safetensors file by default, but use_safetensors=False, older releases and other tools unpickle ${first}, which can run code.` },
        location: { uri },
        evidence: { folder: doc.folder, pickle: doc.pickleWeights, safetensors: doc.safetensorsWeights, loaderPicks: doc.safetensorsWeights[0] },
        fingerprintKey: `pickle-beside:${doc.folder}`,
      });
    } else {
      ctx.report({
        messageId: "found",
        data: { message: `The model folder ${doc.folder} holds its weights only in pickle form (${doc.pickleWeights.join(", ")}), which from_pretrained unpickles; a safetensors copy would hold no code.` },
        severity: "low",
        location: { uri },
        evidence: { folder: doc.folder, pickle: doc.pickleWeights, safetensors: [], loaderPicks: first },
        fingerprintKey: `pickle-only:${doc.folder}`,
      });
    }
  },
};

export const torchserveHandler: Rule<MarDocument> = {
  meta: {
    id: "artifact/torchserve-handler",
    appliesTo: { kinds: ["zip"] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    const handler = doc.handler;
    const builtIn = handler !== undefined && /^[a-z_]+$/.test(handler) && !handler.endsWith(".py");
    if (doc.pythonMembers.length === 0 && (handler === undefined || builtIn)) return;
    ctx.report({
      messageId: "found",
      data: { message: `The TorchServe archive ${handler && !builtIn ? `names handler ${JSON.stringify(handler)} and ` : ""}ships Python code (${doc.pythonMembers.map((m) => JSON.stringify(m)).join(", ") || "none found"}) that TorchServe imports and runs when it loads the model.` },
      evidence: { handler: handler ?? null, pythonMembers: doc.pythonMembers, manifest: doc.manifest ?? null },
      fingerprintKey: `mar:${handler ?? ""}`,
    });
  },
};

export const xmlExternalEntity: Rule<XmlDocument> = {
  meta: {
    id: "artifact/xml-external-entity",
    appliesTo: { kinds: ["text"] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    const external = doc.entities.filter((e) => e.external);
    const internal = doc.entities.filter((e) => !e.external);
    const what = doc.root ? `${doc.root} XML` : "XML";
    if (external.length > 0) {
      const e = external[0]!;
      ctx.report({
        messageId: "found",
        data: { message: `The ${what} declares external entit${external.length === 1 ? "y" : "ies"} (${external.map((x) => `${x.parameter ? "%" : ""}${x.name} → ${JSON.stringify(x.system ?? "")}`).join(", ")}) that a resolving parser reads from the file system or network when it loads the model (XXE).` },
        severity: "critical",
        location: { offset: e.offset },
        evidence: { root: doc.root ?? null, entities: external.map((x) => ({ name: x.name, system: x.system ?? null, parameter: x.parameter })) },
        fingerprintKey: `xxe:${external.map((x) => x.name).join(",")}`,
      });
    }
    if (internal.length > 0) {
      ctx.report({
        messageId: "found",
        data: { message: `The ${what} declares ${internal.length} internal entit${internal.length === 1 ? "y" : "ies"} (${internal.slice(0, 5).map((x) => x.name).join(", ")}); a model file needs none, and nested entities expand without bound in parsers that resolve them (billion laughs).` },
        severity: "high",
        location: { offset: internal[0]!.offset },
        evidence: { root: doc.root ?? null, entities: internal.map((x) => x.name) },
        fingerprintKey: "internal-entities",
      });
    }
    if (doc.entities.length === 0 && doc.doctype !== undefined) {
      ctx.report({
        messageId: "found",
        data: { message: `The ${what} carries a document type declaration (${JSON.stringify(doc.doctype.slice(0, 80))}), which PMML and OpenVINO files do not use.` },
        severity: "low",
        evidence: { root: doc.root ?? null, doctype: doc.doctype.slice(0, 200) },
        fingerprintKey: "doctype",
      });
    }
  },
};

const prefixMatch = (type: string, p: string): boolean => (p.endsWith(".") ? type.startsWith(p) : type === p || type.startsWith(`${p}.`));

export const skopsUntrustedType: Rule<SkopsDocument> = {
  meta: {
    id: "artifact/skops-untrusted-type",
    appliesTo: { kinds: ["zip"] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    const { trustedTypePrefixes, dangerousTypePrefixes } = modelFolderLists().skops;
    const seen = new Set<string>();
    for (const t of doc.types) {
      if (seen.has(t.type)) continue;
      const dangerous = dangerousTypePrefixes.some((p) => prefixMatch(t.type, p));
      if (!dangerous && trustedTypePrefixes.some((p) => prefixMatch(t.type, p))) continue;
      seen.add(t.type);
      ctx.report({
        messageId: "found",
        data: { message: dangerous
          ? `The skops schema asks skops.io.load to build \`${t.type}\` (${t.loader} at ${t.path}), a callable that runs code or processes once the type is trusted.`
          : `The skops schema asks skops.io.load to build \`${t.type}\` (${t.loader} at ${t.path}), a type outside scikit-learn, NumPy and SciPy that must be trusted explicitly and then runs on load.` },
        severity: dangerous ? "critical" : "high",
        location: { member: "schema.json" },
        evidence: { type: t.type, loader: t.loader, path: t.path },
        fingerprintKey: `skops:${t.type}`,
      });
    }
  },
};

export const tfliteCustomOp: Rule<TfliteDocument> = {
  meta: {
    id: "artifact/tflite-custom-op",
    appliesTo: { kinds: ["tflite"] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    const unsafe = new Map(formatLists().tensorflow.unsafeOps.map((o) => [o.op, o]));
    for (const op of doc.customOps) {
      // Flex ops carry a TensorFlow op name after "Flex" and run that kernel through the Flex delegate.
      const tfOp = op.name.startsWith("Flex") ? op.name.slice(4) : undefined;
      const known = tfOp !== undefined ? unsafe.get(tfOp) : undefined;
      ctx.report({
        messageId: "found",
        data: { message: known
          ? `The TFLite model runs TensorFlow op ${tfOp} through the Flex delegate (${op.name}, ${op.uses} use${op.uses === 1 ? "" : "s"}), which ${known.reason}.`
          : `The TFLite model needs custom operator ${JSON.stringify(op.name)} (${op.uses} use${op.uses === 1 ? "" : "s"}), whose kernel is code the serving application must register from elsewhere.` },
        severity: known ? known.severity : modelFolderLists().tflite.customOpSeverity,
        evidence: { op: op.name, uses: op.uses, ...(tfOp !== undefined ? { tensorflowOp: tfOp } : {}) },
        fingerprintKey: `tflite:${op.name}`,
      });
    }
  },
};

export const flaxMsgpackMalformed: Rule<FlaxDocument> = {
  meta: {
    id: "artifact/flax-msgpack-malformed",
    appliesTo: { kinds: ["unknown"] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    if (doc.problems.length === 0) return;
    const first = doc.problems[0]!;
    ctx.report({
      messageId: "found",
      data: { message: `The Flax msgpack checkpoint is not what flax.serialization writes: at ${first.path || "the top level"}, ${first.problem}${doc.problems.length > 1 ? ` (and ${doc.problems.length - 1} more)` : ""}.` },
      evidence: { arrays: doc.arrays, problems: doc.problems.slice(0, 20) },
      fingerprintKey: "flax",
    });
  },
};

/** Every rule the model-folder scanner runs. */
export const MODEL_FOLDER_RULES = [flaxMsgpackMalformed, chatTemplateInjection, hydraTarget, pythonCode, remoteCode, pickleWeights, torchserveHandler, xmlExternalEntity, skopsUntrustedType, tfliteCustomOp] as const;
