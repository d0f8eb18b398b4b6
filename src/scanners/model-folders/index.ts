// LLM-era model folders: a Hugging Face-style folder is judged as one unit (auto_map and the
// code it points to, Python files, weights in pickle form beside safetensors), chat templates
// are found wherever configs keep them, and the archives of NeMo (.nemo: tar with Hydra
// configs) and TorchServe (.mar: zip with handler code) are read for the code they run.
// Nothing is executed or imported: configs are parsed as data, templates as Jinja syntax.

import { readFile, stat } from "node:fs/promises";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { basename, extname, posix } from "node:path";
import { yamlLib } from "../../core/yaml";
import type { TargetKind } from "../../types";
import type { ProjectContext, ScanContext, ScanFile, ScannerPlugin } from "../../types";
import { BufferFile, type RandomAccessFile } from "../../core/random-access";
import { decompress } from "../artifacts/archive/decompress";
import { listTar, looksLikeTar, TarError } from "../artifacts/archive/tar";
import { listZip, readZipEntry, ZipError } from "../artifacts/archive/zip";
import { modelFolderLists, type HydraDocument, type MarDocument, type ModelFolderDocument, type PythonCodeDocument, type RemoteCodeEntry, type TemplateDocument } from "./documents";
import { MODEL_FOLDER_RULES, chatTemplateInjection, flaxMsgpackMalformed, hydraTarget, pickleWeights, pythonCode, remoteCode, skopsUntrustedType, tfliteCustomOp, torchserveHandler, xmlExternalEntity } from "./rules";
import type { SkopsDocument } from "./documents";
import { isTflite, readTflite, TfliteError } from "./tflite";
import { FlaxError, looksLikeMsgpackMap, readFlaxMsgpack } from "./flax";
import { readXml } from "./xml";

/** Largest config (JSON/YAML file or archive member) parsed for templates and targets. */
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;
const MAX_WALK_DEPTH = 64;
const PY = /\.pyc?$/i;
const CONFIG_MEMBER = /\.(ya?ml|json)$/i;

/** Collects chat templates and Hydra targets from a parsed config. */
export function collectFromConfig(value: unknown, container: string, member?: string): { templates: TemplateDocument; hydra: HydraDocument } {
  const lists = modelFolderLists();
  const templates: TemplateDocument = { container, templates: [] };
  const hydra: HydraDocument = { container, targets: [] };
  const templateKeys = new Set(lists.templateKeys);
  const targetKeys = new Set(lists.hydra.targetKeys);
  const m = member ? { member } : {};
  const visit = (v: unknown, path: string, depth: number): void => {
    if (depth > MAX_WALK_DEPTH || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, `${path}[${i}]`, depth + 1));
      return;
    }
    const o = v as Record<string, unknown>;
    for (const [k, x] of Object.entries(o)) {
      const here = path ? `${path}.${k}` : k;
      if (templateKeys.has(k)) {
        if (typeof x === "string") templates.templates.push({ source: x, where: here, ...m });
        // tokenizer_config.json may hold several named templates: [{ "name": ..., "template": ... }].
        else if (Array.isArray(x) && x.some((t) => t && typeof t === "object" && typeof (t as Record<string, unknown>)["template"] === "string")) {
          x.forEach((t, i) => {
            const source = t && typeof t === "object" ? (t as Record<string, unknown>)["template"] : undefined;
            if (typeof source === "string") templates.templates.push({ source, where: `${here}[${i}] (${JSON.stringify((t as Record<string, unknown>)["name"] ?? i)})`, ...m });
          });
          continue;
        }
      }
      // `target` alone is too common a key; it counts only beside Hydra's other markers.
      if (targetKeys.has(k) && typeof x === "string" && (k !== "target" || "_partial_" in o || "_recursive_" in o || "_args_" in o)) {
        hydra.targets.push({ target: x, path: here, ...m });
      }
      visit(x, here, depth + 1);
    }
  };
  visit(value, "", 0);
  return { templates, hydra };
}

function parseConfig(text: string, yaml: boolean): unknown {
  if (!yaml) return JSON.parse(text);
  // Aliases are bounded so a YAML alias bomb cannot expand without limit.
  // Scanned YAML: the library must not write warnings to the process (aigis reports, it does not print).
  const docs = yamlLib().parseAllDocuments(text, { logLevel: "silent" })
    .filter((d) => !("errors" in d) || d.errors.length === 0)
    .map((d) => d.toJS({ maxAliasCount: 1000 }) as unknown);
  // One document (the usual config) keeps its own paths; a stream of several is a list.
  return docs.length === 1 ? docs[0] : docs;
}

function runConfigRules(ctx: ScanContext, text: string, yaml: boolean, container: string, member?: string): void {
  let value: unknown;
  try {
    value = parseConfig(text, yaml);
  } catch {
    // A config no loader can parse runs nothing; JSON and YAML syntax is the other scanners' concern.
    return;
  }
  const { templates, hydra } = collectFromConfig(value, container, member);
  if (templates.templates.length) ctx.runRules([chatTemplateInjection], templates);
  if (hydra.targets.length) ctx.runRules([hydraTarget], hydra);
}

async function readBounded(file: RandomAccessFile): Promise<Buffer | undefined> {
  return file.size <= MAX_CONFIG_BYTES ? file.read(0, file.size) : undefined;
}

function configName(uri: string): string {
  return basename(uri);
}

/** Members of a zip or tar: Python code, configs with templates or Hydra targets, a TorchServe manifest. */
async function scanArchiveMembers(ctx: ScanContext, members: Array<{ name: string; size: number; read: () => Promise<Buffer> }>): Promise<void> {
  const names = members.map((m) => m.name);
  const mar = names.some((n) => /(^|\/)MAR-INF\/MANIFEST\.json$/.test(n));
  // .keras archives: Python members are artifact/keras-unsafe-config's finding.
  const keras = names.includes("config.json") && (names.includes("metadata.json") || names.some((n) => n.endsWith(".weights.h5")));
  const python: PythonCodeDocument = { container: "archive", files: [] };
  const marDoc: MarDocument = { manifest: undefined, handler: undefined, pythonMembers: [] };
  const skopsSchema = members.find((m) => m.name === "schema.json");
  if (skopsSchema && skopsSchema.size <= MAX_CONFIG_BYTES) {
    try {
      const schema = JSON.parse((await skopsSchema.read()).toString("utf8")) as Record<string, unknown>;
      if ("__loader__" in schema && "protocol" in schema) ctx.runRules([skopsUntrustedType], skopsTypes(schema));
    } catch {
      /* not JSON: not a skops archive */
    }
  }
  for (const m of members) {
    if (PY.test(m.name)) {
      if (mar) marDoc.pythonMembers.push(m.name);
      else if (!keras) python.files.push({ name: basename(m.name), member: m.name, compiled: /\.pyc$/i.test(m.name) });
      continue;
    }
    if (mar && /(^|\/)MAR-INF\/MANIFEST\.json$/.test(m.name) && m.size <= MAX_CONFIG_BYTES) {
      try {
        marDoc.manifest = JSON.parse((await m.read()).toString("utf8")) as Record<string, unknown>;
        const model = marDoc.manifest["model"] as Record<string, unknown> | undefined;
        if (model && typeof model["handler"] === "string") marDoc.handler = model["handler"];
      } catch {
        marDoc.manifest = undefined;
      }
      continue;
    }
    if (CONFIG_MEMBER.test(m.name) && m.size <= MAX_CONFIG_BYTES && !(keras && m.name === "config.json")) {
      const bytes = await m.read();
      runConfigRules(ctx, bytes.toString("utf8"), /\.ya?ml$/i.test(m.name), /\.ya?ml$/i.test(m.name) ? "YAML config" : "JSON config", m.name);
    }
  }
  if (python.files.length) ctx.runRules([pythonCode], python);
  if (mar) ctx.runRules([torchserveHandler], marDoc);
}

/** Every {__module__, __class__, __loader__} node of a skops schema, with its path. */
export function skopsTypes(schema: Record<string, unknown>): SkopsDocument {
  const doc: SkopsDocument = { protocol: schema["protocol"], types: [] };
  const visit = (v: unknown, path: string, depth: number): void => {
    if (depth > MAX_WALK_DEPTH || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach((x, i) => visit(x, `${path}[${i}]`, depth + 1));
    const o = v as Record<string, unknown>;
    if (typeof o["__module__"] === "string" && typeof o["__class__"] === "string") {
      doc.types.push({ type: `${o["__module__"]}.${o["__class__"]}`, loader: typeof o["__loader__"] === "string" ? o["__loader__"] : "?", path: path || "$" });
    }
    for (const [k, x] of Object.entries(o)) visit(x, path ? `${path}.${k}` : k, depth + 1);
  };
  visit(schema, "", 0);
  return doc;
}

async function scanZipFile(ctx: ScanContext, file: RandomAccessFile): Promise<void> {
  let listing;
  try {
    listing = await listZip(file, ctx.settings.limits.maxArchiveEntries);
  } catch (e) {
    if (e instanceof ZipError) return; // the artifact scanner reports unreadable zips
    throw e;
  }
  const cap = Math.min(MAX_CONFIG_BYTES, ctx.settings.limits.maxInMemoryBytes);
  await scanArchiveMembers(
    ctx,
    listing.entries
      // Encrypted members cannot be read; the artifact scanner reports them as a protection state.
      .filter((e) => !e.name.endsWith("/") && e.method !== 99 && (e.flags & 1) === 0)
      .map((e) => ({ name: e.localName ?? e.name, size: e.uncompressedSize, read: () => readZipEntry(file, e, cap) })),
  );
}

async function scanTarFile(ctx: ScanContext, file: RandomAccessFile): Promise<void> {
  let listing;
  try {
    listing = await listTar(file, ctx.settings.limits.maxArchiveEntries);
  } catch (e) {
    if (e instanceof TarError) return; // the artifact scanner reports unreadable tars
    throw e;
  }
  await scanArchiveMembers(
    ctx,
    listing.entries.filter((e) => e.type === "file").map((e) => ({ name: e.name.replace(/^\.\//, ""), size: e.size, read: () => file.read(e.dataOffset, e.size) })),
  );
}

export const modelFolderScanner: ScannerPlugin = {
  id: "model-folders",
  kinds: ["json", "yaml", "text", "tar", "zip", "gzip", "unknown", "tflite"],
  formats: [{ kind: "tflite", category: "model", description: "TensorFlow Lite flatbuffer (file identifier TFL3)" }],
  // After the pickle, protobuf and compression detectors: a pickle whose FRAME length spells
  // "TFL3" must stay a pickle.
  detectors: [{ name: "tflite", order: 290, refines: "*", detect: ({ head }) => (isTflite(head) ? "tflite" : undefined) }],
  rules: MODEL_FOLDER_RULES,
  async scan(file: ScanFile, ctx: ScanContext): Promise<void> {
    const lists = modelFolderLists();
    const name = configName(file.uri);
    switch (file.kind) {
      case "json":
      case "yaml": {
        // Cheap pre-check on the head: most JSON and YAML files hold neither templates nor Hydra targets.
        const head = file.head.toString("utf8");
        if (file.size > file.head.length ? false : !/template|_target_|\btarget\b/.test(head)) return;
        const bytes = await readBounded(file.file);
        if (!bytes) return;
        const text = bytes.toString("utf8");
        if (!/template|_target_|\btarget\b/.test(text)) return;
        runConfigRules(ctx, text, file.kind === "yaml", name);
        return;
      }
      case "text": {
        const ext = extname(name).toLowerCase();
        const head = file.head.toString("utf8").trimStart();
        if (head.startsWith("<")) {
          const bytes = await readBounded(file.file);
          if (!bytes) return;
          const doc = readXml(bytes.toString("utf8"));
          // Model XML only (PMML, OpenVINO IR, or an .xml/.pmml file): HTML and other markup are not models.
          if (doc && (lists.xml.rootElements.includes(doc.root ?? "") || lists.xml.extensions.includes(ext))) ctx.runRules([xmlExternalEntity], doc);
          return;
        }
        if (!lists.templateFileExtensions.includes(ext)) return;
        const bytes = await readBounded(file.file);
        if (!bytes) return;
        ctx.runRules([chatTemplateInjection], { container: "Jinja template file", templates: [{ source: bytes.toString("utf8"), where: "file" }] } satisfies TemplateDocument);
        return;
      }
      case "zip":
        return scanZipFile(ctx, file.file);
      case "tar":
        return scanTarFile(ctx, file.file);
      case "gzip": {
        // .nemo files written before NeMo 1.7 are gzip-compressed tars. Only the first block is
        // inflated to look for a tar header, so other gzip files (compressed checkpoints, which
        // the artifact scanner reads) are not decompressed a second time.
        if (file.size > ctx.settings.limits.maxInMemoryBytes) return;
        let head: Buffer;
        try {
          // 16 KiB of deflate data inflates to at most ~17 MB (ratio 1032): bounded.
          head = gunzipSync(file.head.subarray(0, 16 * 1024), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 32 * 1024 * 1024 });
        } catch {
          return;
        }
        if (!looksLikeTar(head)) return;
        let out: Buffer;
        try {
          out = decompress("gzip", await file.file.read(0, file.size), Math.min(ctx.settings.limits.maxInMemoryBytes, ctx.settings.limits.maxArchiveTotalBytes));
        } catch {
          return; // the artifact scanner reports bombs and broken streams
        }
        await scanTarFile(ctx, new BufferFile(out));
        return;
      }
      case "unknown": {
        // msgpack has no magic: a map at the top and Flax's file naming (flax_model.msgpack, *.msgpack).
        if (/\.(msgpack|flax)$/i.test(name) && looksLikeMsgpackMap(file.head)) {
          if (file.size > ctx.settings.limits.maxInMemoryBytes) return;
          try {
            ctx.runRules([flaxMsgpackMalformed], readFlaxMsgpack(await file.file.read(0, file.size)));
          } catch (e) {
            if (!(e instanceof FlaxError)) throw e;
            ctx.parseError({ format: "Flax msgpack", reason: e.message, key: "flax" });
          }
          return;
        }
        return;
      }
      case "tflite": {
        if (file.size > ctx.settings.limits.maxInMemoryBytes) {
          ctx.limitExceeded({ limit: "maxInMemoryBytes", value: ctx.settings.limits.maxInMemoryBytes, what: `the TFLite model (${file.size} bytes) was not analysed`, key: "tflite-limit" });
          return;
        }
        try {
          ctx.runRules([tfliteCustomOp], readTflite(await file.file.read(0, file.size)));
        } catch (e) {
          if (!(e instanceof TfliteError)) throw e;
          ctx.parseError({ format: "TFLite", reason: e.message, key: "tflite" });
        }
        return;
      }
      default:
        return;
    }
  },
  async scanProject(ctx: ProjectContext): Promise<void> {
    await scanFolders(ctx);
  },
};

const MODEL_MARKERS = ["config.json", "tokenizer_config.json", "generation_config.json", "adapter_config.json", "model_index.json", "preprocessor_config.json"];
const WEIGHT_KINDS: ReadonlySet<TargetKind> = new Set<TargetKind>(["safetensors", "pickle", "pytorch-zip", "gguf", "onnx"]);

function relInFolder(folder: string, uri: string): string {
  return folder === "." ? uri : uri.slice(folder.length + 1);
}

/** auto_map values: "module.Class", "org/repo--module.Class", or [slow, fast] tokenizer pairs. */
function autoMapEntries(config: string, autoMap: unknown, files: ReadonlySet<string>): RemoteCodeEntry[] {
  const out: RemoteCodeEntry[] = [];
  if (!autoMap || typeof autoMap !== "object" || Array.isArray(autoMap)) return out;
  for (const [autoClass, v] of Object.entries(autoMap as Record<string, unknown>)) {
    const refs = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
    for (const reference of refs) {
      const sep = reference.indexOf("--");
      const otherRepository = sep > 0 ? reference.slice(0, sep) : undefined;
      const local = sep > 0 ? reference.slice(sep + 2) : reference;
      const dot = local.lastIndexOf(".");
      const module = dot > 0 ? local.slice(0, dot) : local;
      const className = dot > 0 ? local.slice(dot + 1) : local;
      const file = `${module.split(".").join("/")}.py`;
      out.push({ config, autoClass, reference, file, className, fileExists: files.has(file), ...(otherRepository ? { otherRepository } : {}) });
    }
  }
  return out;
}

/** custom_pipelines: { task: { impl: "module.Class", pt: [...] } } in config.json. */
function customPipelineEntries(config: string, pipelines: unknown, files: ReadonlySet<string>): RemoteCodeEntry[] {
  if (!pipelines || typeof pipelines !== "object") return [];
  const map: Record<string, string> = {};
  for (const [task, v] of Object.entries(pipelines as Record<string, unknown>)) {
    const impl = v && typeof v === "object" ? (v as Record<string, unknown>)["impl"] : undefined;
    if (typeof impl === "string") map[`pipeline ${task}`] = impl;
  }
  return autoMapEntries(config, map, files);
}

async function readJsonFile(absPath: string): Promise<Record<string, unknown> | undefined> {
  try {
    if ((await stat(absPath)).size > MAX_CONFIG_BYTES) return undefined;
    const v = JSON.parse(await readFile(absPath, "utf8")) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function scanFolders(ctx: ProjectContext): Promise<void> {
  const lists = modelFolderLists();
  const byDir = new Map<string, Array<(typeof ctx.targets)[number]>>();
  for (const t of ctx.targets) {
    const dir = posix.dirname(t.uri);
    byDir.set(dir, [...(byDir.get(dir) ?? []), t]);
  }
  // A model folder: a Hugging Face config, or weights in a format loaders read.
  const modelDirs = [...byDir.entries()].filter(([, ts]) => ts.some((t) => MODEL_MARKERS.includes(posix.basename(t.uri)) || WEIGHT_KINDS.has(t.kind))).map(([d]) => d);
  const modelDirSet = new Set(modelDirs);
  const ownerOf = (dir: string): string | undefined => {
    for (let d = dir, i = 0; i < 4; i++, d = posix.dirname(d)) {
      if (modelDirSet.has(d)) return d;
      if (d === "." || d === "/" || d === "") break;
    }
    return undefined;
  };
  const referenced = new Set<string>();
  for (const folder of modelDirs.sort()) {
    const targets = byDir.get(folder) ?? [];
    const files = new Set(ctx.targets.filter((t) => ownerOf(posix.dirname(t.uri)) === folder).map((t) => relInFolder(folder, t.uri)));
    const doc: ModelFolderDocument = { folder, remoteCode: [], trustRemoteCodeSetIn: [], safetensorsWeights: [], pickleWeights: [] };
    for (const t of targets) {
      const base = posix.basename(t.uri);
      if (!base.endsWith(".json") || t.kind === "safetensors") continue;
      if (!MODEL_MARKERS.includes(base) && base !== "processor_config.json" && base !== "feature_extractor_config.json" && base !== "image_processor_config.json") continue;
      const json = await readJsonFile(t.absPath);
      if (!json) continue;
      doc.remoteCode.push(...autoMapEntries(base, json["auto_map"], files), ...customPipelineEntries(base, json["custom_pipelines"], files));
      if (json["trust_remote_code"] === true) doc.trustRemoteCodeSetIn.push(base);
    }
    for (const e of doc.remoteCode) if (!e.otherRepository) referenced.add(folder === "." ? e.file : `${folder}/${e.file}`);
    for (const t of targets) {
      const base = posix.basename(t.uri);
      // Only the names from_pretrained chooses between: other .pt/.ckpt files are not what it loads.
      if (lists.weights.safetensorsNames.includes(base) || /^(diffusion_pytorch_)?model-\d+-of-\d+\.safetensors$/.test(base)) doc.safetensorsWeights.push(base);
      else if (lists.weights.pickleNames.includes(base) || /^(diffusion_)?pytorch_model-\d+-of-\d+\.bin$/.test(base)) doc.pickleWeights.push(base);
    }
    // training_args.bin and optimizer states are not model weights a loader picks between.
    doc.pickleWeights = doc.pickleWeights.filter((n) => !/^(training_args|optimizer|scheduler|rng_state)/.test(n));
    // Each finding belongs to the file it is about: the config that names the code, the pickle weights.
    const at = (name: string): string => (folder === "." ? name : `${folder}/${name}`);
    for (const config of new Set([...doc.remoteCode.map((e) => e.config), ...doc.trustRemoteCodeSetIn])) {
      ctx.runRules<ModelFolderDocument>([remoteCode], { ...doc, remoteCode: doc.remoteCode.filter((e) => e.config === config), trustRemoteCodeSetIn: doc.trustRemoteCodeSetIn.filter((c) => c === config) }, at(config));
    }
    if (doc.pickleWeights.length > 0) ctx.runRules<ModelFolderDocument>([pickleWeights], doc, at(doc.pickleWeights[0]!));
  }
  // Python files inside a model folder that no auto_map names (those are artifact/remote-code's finding).
  for (const t of ctx.targets) {
    if (!PY.test(t.uri) || referenced.has(t.uri)) continue;
    if (ownerOf(posix.dirname(t.uri)) === undefined) continue;
    const doc: PythonCodeDocument = { container: "model folder", files: [{ name: posix.basename(t.uri), uri: t.uri, compiled: /\.pyc$/i.test(t.uri) }] };
    ctx.runRules([pythonCode], doc, t.uri);
  }
}


export { modelFolderScanner as scanner };
