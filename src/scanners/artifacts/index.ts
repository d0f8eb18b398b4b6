// Model artifacts: finds code that runs when a model file is loaded, in every format, by
// content. One recursive walk: a file or archive member is sniffed, parsed into the
// document its rules check, and whatever it contains (zip and tar members, compressed
// streams, object arrays) is walked in turn, in memory, to maxArchiveDepth.

import type { FindingLocation, Limits, RandomAccessFile, ScanContext, ScanFile, ScannerPlugin, TargetKind } from "../../types";
import { crc32 } from "node:zlib";
import { schemaJson } from "../../core/catalog";
import { BufferFile } from "../../core/random-access";
import { ARTIFACT_DETECTORS, ARTIFACT_FORMATS } from "./detect";
import { ARCHIVE_KINDS } from "./kinds";
import { decompress, DecompressLimitError, type Compression } from "./archive/decompress";
import { listTar, TarError } from "./archive/tar";
import { listZip, peekZipEntry, readZipEntry, ZipError, type ZipEntry } from "./archive/zip";
import { findConfigsInBytes, readH5ModelConfig, type KerasDocument } from "./formats/keras";
import { formatLists } from "./formats/lists";
import { parseNpyHeader } from "./formats/numpy";
import { parseOnnx } from "./formats/onnx";
import { readGguf } from "./formats/gguf";
import { readSafetensors } from "./formats/safetensors";
import { parseSavedModel } from "./formats/savedmodel";
import { buildPickleDocument } from "./pickle/document";
import { analysePickles, looksLikePickle } from "./pickle/machine";
import { pickleRules } from "./pickle/rules";
import { archiveRules, type ArchiveDocument, type StructureAnomaly } from "./rules/archive";
import { ggufTemplateInjection } from "./rules/gguf";
import { kerasRules } from "./rules/keras";
import { onnxRules } from "./rules/onnx";
import { safetensorsMalformed } from "./rules/safetensors";
import { tfUnsafeOp } from "./rules/tensorflow";

/** Member names that loaders unpickle whatever their content looks like. */
const PICKLE_MEMBER = /\.(pkl|pickle|pt|pth|joblib|sav|ckpt)$/i;
/** Kinds worth reading in full when found inside an archive or stream. */
const CONTAINER_KINDS: ReadonlySet<TargetKind> = new Set<TargetKind>(["pickle", "pytorch-zip", "zip", "tar", "gzip", "bzip2", "xz", "zlib", "lzma", "numpy", "hdf5", "gguf", "safetensors", "onnx", "tf-saved-model"]);
const PEEK_BYTES = 64 * 1024;
const MAX_EMBEDDED_DEPTH = 4;

interface Walk {
  ctx: ScanContext;
  limits: Limits;
  /** Bytes decompressed so far across the whole file, against maxArchiveTotalBytes. */
  expanded: number;
}

const join = (prefix: string | undefined, name: string): string => (prefix ? `${prefix}!/${name}` : name);
const at = (member: string | undefined): Partial<FindingLocation> => (member ? { member } : {});

function parseError(w: Walk, member: string | undefined, format: string, reason: string, offset?: number): void {
  w.ctx.parseError({ format, reason, location: { ...at(member), ...(offset !== undefined ? { offset } : {}) }, key: `${format}:${member ?? ""}` });
}

function limitExceeded(w: Walk, member: string | undefined, what: string, limit: string, value: number): void {
  w.ctx.limitExceeded({ what, limit, value, location: at(member), key: `${limit}:${member ?? ""}` });
}

export interface ArtifactOptions {
  /** Extra pickle globals the project trusts (exact `module.name` or `prefix.*`); the deny-list still wins. */
  pickleAllow: string[];
}

/** `scanners.artifacts` from the config (validated by core against rules/schemas/artifact-options.schema.json). */
export function artifactOptions(ctx: ScanContext): ArtifactOptions {
  const o = (ctx.options ?? {}) as Partial<ArtifactOptions>;
  return { pickleAllow: o.pickleAllow ?? [] };
}

/** Runs the pickle rules over one pickle stream (and any pickles embedded in its byte strings). */
export function scanPickleBytes(bytes: Uint8Array, ctx: ScanContext, base: Partial<FindingLocation>, mustBePickle: boolean, depth = 0): void {
  const analysis = analysePickles(bytes);
  if (analysis.pickles === 0 && analysis.imports.length === 0 && !mustBePickle) return;
  const shift = base.offset ?? 0;
  const doc = buildPickleDocument(analysis, artifactOptions(ctx).pickleAllow);
  if (shift) {
    for (const imp of doc.imports) imp.offset += shift;
    for (const call of doc.analysis.calls) call.offset += shift;
  }
  const { offset: _shifted, ...where } = base;
  ctx.runRules(pickleRules, doc, where);
  if (analysis.limitExceeded) {
    const stop = (analysis.error?.offset ?? analysis.end) + shift;
    ctx.limitExceeded({
      what: `Pickle analysis stopped (${analysis.limitExceeded}); opcodes after offset ${stop} were not checked`,
      limit: "pickleMachine",
      value: stop,
      location: { ...base, offset: stop },
      detail: { reason: analysis.limitExceeded },
      key: `pickle-limit:${shift}`,
    });
  } else if (analysis.error) {
    ctx.parseError({
      format: "pickle",
      reason: `pickle ${analysis.error.pickle + 1} is malformed at offset ${analysis.error.offset + shift}: ${analysis.error.message}`,
      location: { ...base, offset: analysis.error.offset + shift },
      detail: { picklesRead: analysis.pickles },
      key: `pickle-parse:${shift}`,
    });
  }
  // Byte strings that are pickles run when a nested loader (pickle.loads, torch.load) reads them.
  if (depth < MAX_EMBEDDED_DEPTH) {
    for (const e of analysis.embedded) {
      scanPickleBytes(bytes.subarray(e.offset, e.offset + e.length), ctx, { ...base, offset: shift + e.offset }, false, depth + 1);
    }
  }
}

async function readAll(w: Walk, file: RandomAccessFile, member: string | undefined, what: string): Promise<Buffer | undefined> {
  if (file.size > w.limits.maxInMemoryBytes) {
    limitExceeded(w, member, `${member ? `Member ${member}` : "The file"} (${what}, ${file.size} bytes) is larger than the in-memory limit of ${w.limits.maxInMemoryBytes} bytes and was not analysed.`, "maxInMemoryBytes", w.limits.maxInMemoryBytes);
    return undefined;
  }
  return file.read(0, file.size);
}

/** Scans one file or member whose kind is known. */
async function scanKind(w: Walk, file: RandomAccessFile, kind: TargetKind, member: string | undefined, depth: number, name: string): Promise<void> {
  switch (kind) {
    case "pickle": {
      const bytes = await readAll(w, file, member, "pickle");
      if (bytes) scanPickleBytes(bytes, w.ctx, at(member), true);
      return;
    }
    case "pytorch-zip":
    case "zip":
      return scanZip(w, file, member, depth);
    case "tar":
      return scanTar(w, file, member, depth);
    case "gzip":
    case "bzip2":
    case "xz":
    case "zlib":
    case "lzma":
      return scanCompressed(w, file, kind, member, depth, name);
    case "numpy":
      return scanNumpy(w, file, member);
    case "hdf5":
      return scanHdf5(w, file, member);
    case "onnx": {
      const bytes = await readAll(w, file, member, "ONNX");
      if (!bytes) return;
      let doc;
      try {
        doc = parseOnnx(bytes);
      } catch (e) {
        return parseError(w, member, "ONNX", (e as Error).message);
      }
      w.ctx.runRules(onnxRules, doc, at(member));
      return;
    }
    case "tf-saved-model": {
      const bytes = await readAll(w, file, member, "SavedModel");
      if (!bytes) return;
      let doc;
      try {
        doc = parseSavedModel(bytes);
      } catch (e) {
        return parseError(w, member, "TensorFlow SavedModel", (e as Error).message);
      }
      w.ctx.runRules([tfUnsafeOp], doc, at(member));
      return;
    }
    case "safetensors": {
      const doc = await readSafetensors(file, formatLists().safetensors.maxHeaderBytes);
      w.ctx.runRules([safetensorsMalformed], doc, at(member));
      return;
    }
    case "gguf": {
      let doc;
      try {
        doc = await readGguf(file);
      } catch (e) {
        return parseError(w, member, "GGUF", (e as Error).message);
      }
      w.ctx.runRules([ggufTemplateInjection], doc, at(member));
      return;
    }
    default:
      return;
  }
}

function newArchiveDoc(w: Walk, format: ArchiveDocument["format"]): ArchiveDocument {
  const { maxArchiveEntries, maxArchiveTotalBytes, maxCompressionRatio } = w.limits;
  return { format, members: [], anomalies: [], entryLimitHit: false, expansionLimitHit: [], limits: { maxArchiveEntries, maxArchiveTotalBytes, maxCompressionRatio } };
}

/** What a member holds, from its first bytes; undefined when it is nothing aigis reads. */
async function sniffMember(w: Walk, head: Buffer, size: number): Promise<TargetKind | undefined> {
  // A head stands in for the whole member; zip kinds need the whole member and are re-sniffed after reading.
  const kind = await w.ctx.sniff(head, new BufferFile(head));
  if (kind === "pickle" || CONTAINER_KINDS.has(kind)) return kind;
  if (head.length < size && looksLikePickle(head, size)) return "pickle";
  return undefined;
}

async function scanMemberBytes(w: Walk, bytes: Buffer, hinted: TargetKind | undefined, named: boolean, member: string, depth: number, name: string): Promise<void> {
  const file = new BufferFile(bytes);
  let kind = await w.ctx.sniff(bytes.subarray(0, PEEK_BYTES), file);
  if (!CONTAINER_KINDS.has(kind) && hinted === "pickle") kind = "pickle";
  if (!CONTAINER_KINDS.has(kind)) return;
  if (kind === "pickle" && !named) {
    // Recognised from content only (e.g. a tensor storage whose bytes happen to start like a
    // pickle): report it only if it parses as one or imports something.
    scanPickleBytes(bytes, w.ctx, at(member), false);
    return;
  }
  if (depth >= w.limits.maxArchiveDepth && kind !== "pickle" && kind !== "numpy") {
    limitExceeded(w, member, `Member ${member} (${kind}) is nested deeper than the archive depth limit of ${w.limits.maxArchiveDepth} and was not opened.`, "maxArchiveDepth", w.limits.maxArchiveDepth);
    return;
  }
  await scanKind(w, file, kind, member, depth + 1, name);
}

async function scanZip(w: Walk, file: RandomAccessFile, prefix: string | undefined, depth: number): Promise<void> {
  let listing;
  try {
    listing = await listZip(file, w.limits.maxArchiveEntries);
  } catch (e) {
    if (!(e instanceof ZipError)) throw e;
    return parseError(w, prefix, "zip", e.message);
  }
  const doc = newArchiveDoc(w, "zip");
  const anomalies: StructureAnomaly[] = listing.anomalies.filter((a) => a.kind !== "entry-limit");
  doc.entryLimitHit = listing.anomalies.some((a) => a.kind === "entry-limit");
  const names = listing.entries.map((e) => e.localName ?? e.name);
  const keras = names.includes("config.json") && (names.includes("metadata.json") || names.some((n) => n.endsWith(".weights.h5")));
  const kerasDoc: KerasDocument = { container: "keras-zip", config: undefined, pythonMembers: [] };
  for (const entry of listing.entries) {
    const isSymlink = (entry.unixMode & 0o170000) === 0o120000;
    const displayName = entry.name;
    doc.members.push({
      name: displayName,
      type: entry.name.endsWith("/") ? "dir" : isSymlink ? "symlink" : "file",
      compressedSize: entry.compressedSize,
      uncompressedSize: entry.uncompressedSize,
      offset: entry.localHeaderOffset,
    });
    if (entry.localName !== undefined && entry.localName !== entry.name) {
      doc.members.push({ name: entry.localName, type: "file", compressedSize: entry.compressedSize, uncompressedSize: entry.uncompressedSize, offset: entry.localHeaderOffset });
    }
    if (entry.name.endsWith("/")) continue;
    const member = join(prefix, entry.localName ?? entry.name);
    if (isSymlink) {
      // The link target is the member's content.
      const target = await readZipEntry(file, entry, 4096).catch(() => undefined);
      if (target) doc.members[doc.members.length - 1]!.linkName = target.toString("utf8");
      continue;
    }
    if (keras && /\.py$/i.test(entry.localName ?? entry.name)) kerasDoc.pythonMembers.push(entry.localName ?? entry.name);
    if ((entry.flags & 0x01) !== 0) {
      anomalies.push({ kind: "encrypted-flag", message: `member ${JSON.stringify(entry.name)} is flagged as encrypted but is read as stored data, as PyTorch does`, member: entry.name, offset: entry.localHeaderOffset });
    }
    try {
      const named = PICKLE_MEMBER.test(entry.name) || (entry.localName !== undefined && PICKLE_MEMBER.test(entry.localName));
      const isConfig = keras && (entry.localName ?? entry.name) === "config.json";
      let hinted: TargetKind | undefined = named ? "pickle" : undefined;
      // bzip2 and lzma members cannot be decoded in part: they are read whole (bounded) and sniffed after.
      if (!named && !isConfig && entry.method !== 12 && entry.method !== 14) {
        const peek = await peekZipEntry(file, entry, PEEK_BYTES).catch(() => undefined);
        if (!peek) continue;
        hinted = await sniffMember(w, peek, entry.uncompressedSize);
        if (!hinted) continue;
      }
      const remaining = w.limits.maxArchiveTotalBytes - w.expanded;
      const cap = Math.min(w.limits.maxInMemoryBytes, remaining);
      if (entry.method !== 0 && entry.uncompressedSize > cap) {
        doc.expansionLimitHit.push({ member: entry.name, limit: cap });
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readZipEntry(file, entry, cap);
      } catch (e) {
        if (e instanceof ZipError && /larger than|buffer|too large/i.test(e.message)) {
          doc.expansionLimitHit.push({ member: entry.name, limit: cap });
          continue;
        }
        throw e;
      }
      w.expanded += bytes.length;
      const actualCrc = crc32(bytes) >>> 0;
      // A streamed entry found only through its local header keeps its CRC in the data descriptor.
      const crcKnown = !((entry.flags & 0x08) !== 0 && entry.source === "local");
      if (crcKnown && bytes.length === entry.uncompressedSize && actualCrc !== entry.crc32 >>> 0) {
        anomalies.push({ kind: "crc-mismatch", message: `member ${JSON.stringify(entry.name)} has CRC-32 ${actualCrc.toString(16).padStart(8, "0")} but its header says ${entry.crc32.toString(16).padStart(8, "0")} (edited after writing)`, member: entry.name, offset: entry.localHeaderOffset });
      }
      if (isConfig) {
        try {
          kerasDoc.config = JSON.parse(bytes.toString("utf8"));
        } catch (e) {
          parseError(w, member, "Keras config.json", (e as Error).message);
        }
        continue;
      }
      await scanMemberBytes(w, bytes, hinted, named, member, depth, entry.localName ?? entry.name);
    } catch (e) {
      if (!(e instanceof ZipError)) throw e;
      parseError(w, member, "zip member", e.message);
    }
  }
  doc.anomalies = anomalies;
  w.ctx.runRules(archiveRules, doc, at(prefix));
  if (keras) w.ctx.runRules(kerasRules, kerasDoc, at(prefix));
}

async function scanTar(w: Walk, file: RandomAccessFile, prefix: string | undefined, depth: number): Promise<void> {
  let listing;
  try {
    listing = await listTar(file, w.limits.maxArchiveEntries);
  } catch (e) {
    if (!(e instanceof TarError)) throw e;
    return parseError(w, prefix, "tar", e.message);
  }
  const doc = newArchiveDoc(w, "tar");
  doc.entryLimitHit = listing.truncated;
  for (const entry of listing.entries) {
    doc.members.push({ name: entry.name, type: entry.type, ...(entry.linkName ? { linkName: entry.linkName } : {}), uncompressedSize: entry.size, offset: entry.headerOffset });
    if (entry.type !== "file" || entry.size === 0) continue;
    const member = join(prefix, entry.name);
    const peek = await file.read(entry.dataOffset, Math.min(entry.size, PEEK_BYTES));
    const named = PICKLE_MEMBER.test(entry.name);
    const hinted = named ? "pickle" : await sniffMember(w, peek, entry.size);
    if (!hinted) continue;
    if (entry.size > w.limits.maxInMemoryBytes) {
      limitExceeded(w, member, `Member ${member} (${entry.size} bytes) is larger than the in-memory limit of ${w.limits.maxInMemoryBytes} bytes and was not analysed.`, "maxInMemoryBytes", w.limits.maxInMemoryBytes);
      continue;
    }
    const bytes = await file.read(entry.dataOffset, entry.size);
    await scanMemberBytes(w, bytes, hinted, named, member, depth, entry.name);
  }
  w.ctx.runRules(archiveRules, doc, at(prefix));
}

async function scanCompressed(w: Walk, file: RandomAccessFile, kind: Compression, member: string | undefined, depth: number, name: string): Promise<void> {
  const input = await readAll(w, file, member, `${kind} stream`);
  if (!input) return;
  const cap = Math.min(w.limits.maxInMemoryBytes, w.limits.maxArchiveTotalBytes - w.expanded);
  let out: Buffer;
  try {
    out = decompress(kind, input, cap);
  } catch (e) {
    if (e instanceof DecompressLimitError) {
      const doc = newArchiveDoc(w, kind);
      doc.expansionLimitHit.push({ ...(member ? { member } : {}), limit: cap });
      w.ctx.runRules(archiveRules, doc, at(member));
      return;
    }
    return parseError(w, member, kind, (e as Error).message);
  }
  w.expanded += out.length;
  if (input.length > 0 && out.length >= 1024 * 1024 && out.length / input.length > w.limits.maxCompressionRatio) {
    const doc = newArchiveDoc(w, kind);
    doc.members.push({ name: member ?? name, type: "file", compressedSize: input.length, uncompressedSize: out.length, offset: 0 });
    w.ctx.runRules(archiveRules, doc, at(member));
  }
  // joblib and plain pickle.dump through gzip/bz2/lzma: the stream is a pickle (or anything else aigis reads).
  const head = out.subarray(0, PEEK_BYTES);
  const inner = await w.ctx.sniff(head, new BufferFile(out));
  if (inner === "pickle" || looksLikePickle(head, out.length)) {
    scanPickleBytes(out, w.ctx, at(member), true);
    return;
  }
  if (CONTAINER_KINDS.has(inner)) {
    if (depth >= w.limits.maxArchiveDepth) {
      limitExceeded(w, member, `${member ? `Member ${member}` : "The file"} nests ${inner} deeper than the archive depth limit of ${w.limits.maxArchiveDepth}.`, "maxArchiveDepth", w.limits.maxArchiveDepth);
      return;
    }
    await scanKind(w, new BufferFile(out), inner, member, depth + 1, name);
  }
}

async function scanNumpy(w: Walk, file: RandomAccessFile, member: string | undefined): Promise<void> {
  const head = await file.read(0, Math.min(file.size, PEEK_BYTES));
  let header;
  try {
    header = parseNpyHeader(head);
  } catch (e) {
    return parseError(w, member, "NumPy .npy", (e as Error).message);
  }
  if (!header.objectArray) return;
  // Object arrays are a pickle after the header: numpy.load(allow_pickle=True) unpickles it.
  const bytes = await readAll(w, file, member, "NumPy object array");
  if (!bytes) return;
  scanPickleBytes(bytes.subarray(header.dataOffset), w.ctx, { ...at(member), offset: header.dataOffset }, true);
}

async function scanHdf5(w: Walk, file: RandomAccessFile, member: string | undefined): Promise<void> {
  const bytes = await readAll(w, file, member, "HDF5");
  if (!bytes) return;
  let text: string | undefined;
  try {
    text = readH5ModelConfig(bytes);
  } catch (e) {
    parseError(w, member, "HDF5", e instanceof Error ? e.message : String(e));
    // Still judge any model config visible in the raw bytes: an unreadable file must not hide a Lambda layer.
    for (const config of findConfigsInBytes(bytes)) w.ctx.runRules(kerasRules, { container: "h5", config, pythonMembers: [] } satisfies KerasDocument, at(member));
    return;
  }
  if (text === undefined) return;
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    return parseError(w, member, "Keras model_config", (e as Error).message);
  }
  w.ctx.runRules(kerasRules, { container: "h5", config, pythonMembers: [] } satisfies KerasDocument, at(member));
}

export const artifactScanner: ScannerPlugin = {
  id: "artifacts",
  kinds: ["pickle", "numpy", "hdf5", "onnx", "tf-saved-model", "safetensors", "gguf", ...ARCHIVE_KINDS],
  formats: ARTIFACT_FORMATS,
  detectors: ARTIFACT_DETECTORS,
  rules: [...pickleRules, ...archiveRules, ...kerasRules, ...onnxRules, tfUnsafeOp, safetensorsMalformed, ggufTemplateInjection],
  optionsSchema: schemaJson("artifact-options"),
  async scan(file: ScanFile, ctx: ScanContext): Promise<void> {
    const w: Walk = { ctx, limits: ctx.settings.limits, expanded: 0 };
    await scanKind(w, file.file, file.kind, undefined, 0, file.uri);
  },
};

export { artifactScanner as scanner };
