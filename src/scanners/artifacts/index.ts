// Model artifacts: finds code that runs when a model file is loaded, in every format, by
// content. One recursive walk: a file or archive member is sniffed, parsed into the
// document its rules check, and whatever it contains (zip and tar members, compressed
// streams, object arrays) is walked in turn, in memory, to maxArchiveDepth.

import type { FindingLocation, Limits, RandomAccessFile, ScanContext, ScanFile, ScannerPlugin, TargetKind } from "../../types";
import { crc32 } from "node:zlib";
import { loadRulesData, schemaJson } from "../../core/catalog";
import { describeParseFailure } from "../../core/parse-failure";
import { BufferFile } from "../../core/random-access";
import { ARTIFACT_DETECTORS, ARTIFACT_FORMATS } from "./detect";
import { ARCHIVE_KINDS } from "./kinds";
import { decompress, DecompressLimitError, type Compression } from "./archive/decompress";
import { decodeFolder, listSevenZip, SevenZipError, SevenZipLimitError, type SevenZipEntry } from "./archive/sevenzip";
import { listTar, TarError } from "./archive/tar";
import { listZip, peekZipEntry, readZipEntry, readZipEntryBounded, ZipError, type ZipEntry } from "./archive/zip";
import { findConfigsInBytes, readH5ModelConfig, type KerasDocument } from "./formats/keras";
import { formatLists } from "./formats/lists";
import { parseNpyHeader } from "./formats/numpy";
import { parseOnnx } from "./formats/onnx";
import { readGguf } from "./formats/gguf";
import { readSafetensors } from "./formats/safetensors";
import { ggufModelMetadata, onnxModelMetadata, safetensorsModelMetadata } from "./formats/model-card";
import { parseSavedModel } from "./formats/savedmodel";
import { buildPickleDocument } from "./pickle/document";
import { analysePickles, DEFAULT_PICKLE_LIMITS, looksLikePickle } from "./pickle/machine";
import { pickleRules } from "./pickle/rules";
import { archiveBomb, archiveRules, type ArchiveDocument, type StructureAnomaly } from "./rules/archive";
import { ggufTemplateInjection } from "./rules/gguf";
import { kerasRules } from "./rules/keras";
import { onnxRules } from "./rules/onnx";
import { safetensorsMalformed } from "./rules/safetensors";
import { tfUnsafeOp } from "./rules/tensorflow";

/** Member names that loaders unpickle whatever their content looks like. */
const PICKLE_MEMBER = /\.(pkl|pickle|pt|pth|joblib|sav|ckpt)$/i;
/** Kinds worth reading in full when found inside an archive or stream. */
const CONTAINER_KINDS: ReadonlySet<TargetKind> = new Set<TargetKind>(["pickle", "pytorch-zip", "zip", "tar", "7z", "gzip", "bzip2", "xz", "zlib", "lzma", "numpy", "hdf5", "gguf", "safetensors", "onnx", "tf-saved-model"]);
const PEEK_BYTES = 64 * 1024;
const MAX_EMBEDDED_DEPTH = 4;

interface Walk {
  ctx: ScanContext;
  limits: Limits;
  /** Bytes decompressed so far across the whole file, against maxArchiveTotalBytes. */
  expanded: number;
  /** Bomb evidence from every archive and stream in the file, nested ones included: judged once. */
  bomb: ArchiveDocument | undefined;
  /** Members not opened because they sit deeper than maxArchiveDepth: reported once, counted. */
  tooDeep: Array<{ member: string | undefined; label: string }>;
}

const PER_ARCHIVE_RULES = archiveRules.filter((r) => r !== archiveBomb);

/** Runs the per-archive rules and adds the archive's bomb evidence to the file's (names made full with `prefix`). */
function archiveDone(w: Walk, doc: ArchiveDocument, prefix: string | undefined, where: Partial<FindingLocation>): void {
  w.ctx.runRules(PER_ARCHIVE_RULES, doc, where);
  const bomb = (w.bomb ??= { ...newArchiveDoc(w, doc.format), declaredTotals: [], entryLimitArchives: 0 });
  let total = 0;
  for (const m of doc.members) {
    total += m.uncompressedSize;
    bomb.members.push(prefix ? { ...m, name: join(prefix, m.name) } : m);
  }
  bomb.declaredTotals!.push(prefix ? { member: prefix, total } : { total });
  if (doc.entryLimitHit) bomb.entryLimitArchives! += 1;
  for (const e of doc.expansionLimitHit) bomb.expansionLimitHit.push(prefix && e.member ? { ...e, member: join(prefix, e.member) } : e);
}

/** The file's one archive-bomb verdict and one depth notice, after the whole walk. */
function walkDone(w: Walk): void {
  if (w.bomb) w.ctx.runRules([archiveBomb], w.bomb);
  if (w.tooDeep.length > 0) {
    const examples = w.tooDeep.slice(0, 5).map((d) => d.label);
    const shown = examples.join(", ");
    const only = w.tooDeep.length === 1 ? w.tooDeep[0]!.member : undefined;
    // One cause, one finding: a 42.zip-style nest used to give one notice per member.
    w.ctx.limitExceeded({
      what:
        w.tooDeep.length === 1
          ? `${shown.charAt(0).toUpperCase()}${shown.slice(1)} is nested deeper than the archive depth limit and was not opened`
          : `${w.tooDeep.length} members are nested deeper than the archive depth limit and were not opened (${shown}${w.tooDeep.length > 5 ? ", ..." : ""})`,
      limit: "maxArchiveDepth",
      value: w.limits.maxArchiveDepth,
      location: at(only),
      detail: { members: w.tooDeep.length, examples },
      key: "maxArchiveDepth",
    });
  }
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
  const analysis = analysePickles(bytes, 0, DEFAULT_PICKLE_LIMITS, depth);
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
  // Strings and bytes that are pickles (raw, or base64 / hex / zlib encoded) run when a nested
  // loader (pickle.loads(base64.b64decode(s)), torch.load) reads them. Raw ones keep file offsets;
  // decoded ones are nested artifacts named after where the string is and how it was encoded.
  if (depth < MAX_EMBEDDED_DEPTH) {
    for (const e of analysis.embedded) {
      if (!e.data) {
        scanPickleBytes(bytes.subarray(e.offset, e.offset + e.length), ctx, { ...base, offset: shift + e.offset }, false, depth + 1);
        continue;
      }
      const { offset: _o, ...outer } = base;
      const member = join(base.member, `@${shift + e.offset}.${e.encoding}.pkl`);
      scanPickleBytes(e.data, ctx, { ...outer, member }, false, depth + 1);
    }
  }
  if (analysis.embeddedDropped > 0) {
    ctx.limitExceeded({
      what: `${analysis.embeddedDropped} more pickles nested in this pickle's strings were not scanned`,
      limit: "nestedPicklesPerPickle",
      value: analysis.embedded.length,
      location: { ...base },
      key: `pickle-nested-limit:${shift}`,
    });
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
    case "7z":
      return scanSevenZip(w, file, member, depth);
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
      if (member === undefined) w.ctx.annotate({ model: onnxModelMetadata(doc) });
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
      const model = member === undefined ? safetensorsModelMetadata(doc) : undefined;
      if (model) w.ctx.annotate({ model });
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
      if (member === undefined) w.ctx.annotate({ model: ggufModelMetadata(doc) });
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
    w.tooDeep.push({ member, label: `member ${member} (${kind})` });
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
  const encrypted: Array<{ name: string; scheme: "AES" | "ZipCrypto" }> = [];
  // Local header offsets that more than one entry points at, and what was decoded and scanned there.
  const offsetCounts = new Map<number, number>();
  for (const e of listing.entries) offsetCounts.set(e.localHeaderOffset, (offsetCounts.get(e.localHeaderOffset) ?? 0) + 1);
  const sharedOffsets = new Set([...offsetCounts].filter(([, n]) => n > 1).map(([o]) => o));
  const sharedData = new Map<number, { bytes: Buffer; overflow: boolean }>();
  const decodedAt = new Map<number, Set<string>>();
  const sizeReported = new Set<number>();
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
      const scheme = await genuineEncryption(w, file, entry);
      if (scheme) {
        // Password-protected: a protection state (the protection scanner records it), not a trick.
        encrypted.push({ name: entry.localName ?? entry.name, scheme });
        continue;
      }
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
        // Even a member aigis would not read further must not hold more than it declares.
        if (!((entry.flags & 0x08) !== 0 && entry.source === "local") && peek.length > entry.uncompressedSize) {
          anomalies.push({ kind: "size-mismatch", message: `member ${JSON.stringify(entry.name)} declares ${entry.uncompressedSize} bytes but holds more; only the declared bytes, which loaders read, were scanned`, member: entry.name, offset: entry.localHeaderOffset });
          sizeReported.add(entry.localHeaderOffset);
        }
        hinted = await sniffMember(w, peek, entry.uncompressedSize);
        if (!hinted) continue;
      }
      const remaining = w.limits.maxArchiveTotalBytes - w.expanded;
      const cap = Math.min(w.limits.maxInMemoryBytes, remaining);
      if (entry.method !== 0 && entry.uncompressedSize > cap) {
        doc.expansionLimitHit.push({ member: entry.name, limit: cap });
        continue;
      }
      // A streamed entry found only through its local header keeps its sizes and CRC in the data descriptor.
      const sizesKnown = !((entry.flags & 0x08) !== 0 && entry.source === "local");
      // Several central entries may point at one member's data: it is decoded once, and scanned
      // again only when another name would be read differently (e.g. `.pkl` forces a pickle read).
      const scanMode = `${named}:${hinted ?? ""}:${isConfig}`;
      const seenModes = decodedAt.get(entry.localHeaderOffset);
      if (seenModes?.has(scanMode)) {
        anomalies.push({ kind: "shared-data", message: `member ${JSON.stringify(entry.name)} points at the same data (offset ${entry.localHeaderOffset}) as an earlier member, which was read once`, member: entry.name, offset: entry.localHeaderOffset });
        continue;
      }
      // Loaders read a member up to its declared size (Python's zipfile cuts there, PyTorch's
      // reader allocates it): inflate that much and one byte more, to see if it lies.
      const limit = sizesKnown ? Math.min(cap, entry.uncompressedSize + 1) : cap;
      let bytes: Buffer;
      let overflow = false;
      const cached = sharedData.get(entry.localHeaderOffset);
      if (cached) ({ bytes, overflow } = cached);
      else {
        try {
          ({ data: bytes, overflow } = await readZipEntryBounded(file, entry, limit));
        } catch (e) {
          if (e instanceof DecompressLimitError || (e instanceof ZipError && e.code === "limit")) {
            doc.expansionLimitHit.push({ member: entry.name, limit });
            continue;
          }
          throw e;
        }
        if (sharedOffsets.has(entry.localHeaderOffset)) sharedData.set(entry.localHeaderOffset, { bytes, overflow });
        w.expanded += bytes.length;
      }
      (seenModes ?? decodedAt.set(entry.localHeaderOffset, new Set()).get(entry.localHeaderOffset)!).add(scanMode);
      if (sizesKnown && bytes.length > entry.uncompressedSize) {
        if (!sizeReported.has(entry.localHeaderOffset)) anomalies.push({
          kind: "size-mismatch",
          message: `member ${JSON.stringify(entry.name)} declares ${entry.uncompressedSize} bytes but holds more; only the declared bytes, which loaders read, were scanned`,
          member: entry.name,
          offset: entry.localHeaderOffset,
        });
        bytes = bytes.subarray(0, entry.uncompressedSize);
      } else if (overflow) {
        doc.expansionLimitHit.push({ member: entry.name, limit });
        continue;
      } else if (sizesKnown && entry.method !== 0 && bytes.length < entry.uncompressedSize) {
        anomalies.push({ kind: "size-mismatch", message: `member ${JSON.stringify(entry.name)} declares ${entry.uncompressedSize} bytes but holds ${bytes.length}`, member: entry.name, offset: entry.localHeaderOffset });
      }
      const actualCrc = crc32(bytes) >>> 0;
      const crcKnown = sizesKnown;
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
  archiveDone(w, doc, prefix, at(prefix));
  if (encrypted.length > 0) {
    const files = listing.entries.filter((e) => !e.name.endsWith("/")).length;
    const schemes = [...new Set(encrypted.map((e) => e.scheme))].join(" and ");
    const names = encrypted.slice(0, 5).map((e) => e.name);
    w.ctx.unsupportedFormat({
      format: `password-protected zip (${schemes})`,
      reason: `${encrypted.length === files ? "every member is" : `${encrypted.length} of ${files} members are`} encrypted (${names.join(", ")}${encrypted.length > names.length ? ", ..." : ""}), so their content was not scanned; scan the decrypted files before loading them`,
      location: at(prefix),
      key: `encrypted-zip:${prefix ?? ""}`,
    });
  }
  if (keras) w.ctx.runRules(kerasRules, kerasDoc, at(prefix));
}

/**
 * Whether a member flagged as encrypted really is (AES, method 99; or ZipCrypto, whose 12-byte
 * header makes a stored member 12 bytes longer and whose ciphertext does not inflate), as
 * opposed to the flag set on plain data, which PyTorch's reader ignores and loads.
 */
async function genuineEncryption(w: Walk, file: RandomAccessFile, entry: ZipEntry): Promise<"AES" | "ZipCrypto" | undefined> {
  if (entry.method === 99) return "AES";
  let head: Buffer;
  try {
    head = await peekZipEntry(file, entry, PEEK_BYTES);
  } catch {
    // Deflated (or other) data that does not decode as plaintext: ciphertext.
    return entry.method === 0 ? undefined : "ZipCrypto";
  }
  if (entry.method !== 0 || entry.compressedSize !== entry.uncompressedSize + 12) return undefined;
  // Stored with room for the ZipCrypto header: ciphertext, unless the bytes read as something aigis reads.
  return (await sniffMember(w, head, entry.compressedSize)) === undefined && !looksLikePickle(head, entry.compressedSize) ? "ZipCrypto" : undefined;
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
  archiveDone(w, doc, prefix, at(prefix));
}

/**
 * 7z: listed from its header, folders decoded in memory (bounded by the declared sizes, which
 * the decoders respect), members sniffed and scanned like zip and tar members. What cannot be
 * read (AES, coder chains aigis does not decode) is said, never skipped silently.
 */
async function scanSevenZip(w: Walk, file: RandomAccessFile, prefix: string | undefined, depth: number): Promise<void> {
  let listing;
  try {
    listing = await listSevenZip(file, w.limits.maxArchiveEntries);
  } catch (e) {
    if (!(e instanceof SevenZipError)) throw e;
    return parseError(w, prefix, "7z", e.message);
  }
  if (listing.headerEncrypted) {
    w.ctx.unsupportedFormat({
      format: "password-protected 7z (AES, encrypted headers)",
      reason: "neither its member names nor their content can be read without the password; scan the decrypted files before loading them",
      location: at(prefix),
      key: `encrypted-7z:${prefix ?? ""}`,
    });
    return;
  }
  for (const a of listing.anomalies) parseError(w, prefix, "7z", a);
  const doc = newArchiveDoc(w, "7z");
  doc.entryLimitHit = listing.truncated;
  const byFolder = new Map<number, SevenZipEntry[]>();
  for (const entry of listing.entries) {
    const f = listing.folders[entry.folder];
    const share = f && f.unpackSize > 0 ? Math.max(1, Math.round((f.packSizes.reduce((a, b) => a + b, 0) * entry.size) / f.unpackSize)) : entry.size;
    const unixMode = entry.attributes !== undefined && (entry.attributes & 0x8000) !== 0 ? entry.attributes >>> 16 : 0;
    const type = entry.isDir ? "dir" : (unixMode & 0o170000) === 0o120000 ? "symlink" : "file";
    doc.members.push({ name: entry.name, type, compressedSize: share, uncompressedSize: entry.size, offset: f?.packOffset ?? 0 });
    if (entry.folder < 0 || entry.isDir) continue;
    const list = byFolder.get(entry.folder) ?? [];
    list.push(entry);
    byFolder.set(entry.folder, list);
  }
  const encrypted: string[] = [];
  for (const [index, entries] of byFolder) {
    const folder = listing.folders[index]!;
    if (folder.encrypted) {
      encrypted.push(...entries.map((e) => e.name));
      continue;
    }
    const cap = Math.min(w.limits.maxInMemoryBytes, w.limits.maxArchiveTotalBytes - w.expanded);
    let out: Buffer;
    try {
      out = await decodeFolder(file, folder, cap);
    } catch (e) {
      if (e instanceof SevenZipLimitError) {
        for (const entry of entries) doc.expansionLimitHit.push({ member: entry.name, limit: cap });
        continue;
      }
      if (!(e instanceof SevenZipError)) throw e;
      parseError(w, join(prefix, entries[0]!.name), "7z member", `${e.message}${entries.length > 1 ? ` (with ${entries.length - 1} more members of the same solid block)` : ""}`);
      continue;
    }
    w.expanded += out.length;
    for (const entry of entries) {
      if (entry.offsetInFolder + entry.size > out.length) {
        parseError(w, join(prefix, entry.name), "7z member", "the member runs past its decoded block");
        continue;
      }
      const bytes = out.subarray(entry.offsetInFolder, entry.offsetInFolder + entry.size);
      const named = PICKLE_MEMBER.test(entry.name);
      const hinted = named ? "pickle" : await sniffMember(w, bytes.subarray(0, PEEK_BYTES), entry.size);
      if (!hinted) continue;
      await scanMemberBytes(w, Buffer.from(bytes), hinted, named, join(prefix, entry.name), depth, entry.name);
    }
  }
  w.ctx.runRules(archiveRules, doc, at(prefix));
  if (encrypted.length > 0) {
    const files = listing.entries.filter((e) => !e.isDir && e.folder >= 0).length;
    w.ctx.unsupportedFormat({
      format: "password-protected 7z (AES)",
      reason: `${encrypted.length === files ? "every member is" : `${encrypted.length} of ${files} members are`} encrypted (${encrypted.slice(0, 5).join(", ")}${encrypted.length > 5 ? ", ..." : ""}), so their content was not scanned; scan the decrypted files before loading them`,
      location: at(prefix),
      key: `encrypted-7z:${prefix ?? ""}`,
    });
  }
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
      archiveDone(w, doc, undefined, at(member));
      return;
    }
    return parseError(w, member, kind, (e as Error).message);
  }
  w.expanded += out.length;
  if (input.length > 0 && out.length >= 1024 * 1024 && out.length / input.length > w.limits.maxCompressionRatio) {
    const doc = newArchiveDoc(w, kind);
    doc.members.push({ name: member ?? name, type: "file", compressedSize: input.length, uncompressedSize: out.length, offset: 0 });
    archiveDone(w, doc, undefined, at(member));
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
      w.tooDeep.push({ member, label: `${member ? `member ${member}` : "the file"} (${inner} inside)` });
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
    parseError(w, member, "HDF5", describeParseFailure(e, "its structure is malformed (an object header, B-tree, heap or attribute does not decode)"));
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

/**
 * A file whose name says model (`.pt`, `.pkl`, `.onnx`, ... from rules/lists/model-files.json) but
 * whose content is no format aigis reads: a parse error, never a silent pass.
 */
function reportUnreadableModel(file: ScanFile, ctx: ScanContext): void {
  const dot = file.uri.lastIndexOf(".");
  if (dot < 0 || dot < file.uri.lastIndexOf("/")) return;
  const ext = file.uri.slice(dot + 1).toLowerCase();
  const known = modelExtensions().get(ext);
  if (!known) return;
  const first = file.head.subarray(0, 8).toString("hex");
  ctx.parseError({
    format: known,
    reason: `the file is named .${ext} but its content is ${file.kind === "text" ? "text" : "no format aigis reads"} (first bytes ${first || "none"}), so no model check ran on it`,
    detail: { extension: ext, firstBytes: first },
    key: `unreadable-model:${ext}`,
  });
}

let extensionsCache: Map<string, string> | undefined;
function modelExtensions(): Map<string, string> {
  extensionsCache ??= new Map(loadRulesData<{ extensions: Array<{ ext: string; format: string }> }>("lists/model-files.json", "model-files").extensions.map((e) => [e.ext, e.format]));
  return extensionsCache;
}

export const artifactScanner: ScannerPlugin = {
  id: "artifacts",
  kinds: ["unknown", "text", "pickle", "numpy", "hdf5", "onnx", "tf-saved-model", "safetensors", "gguf", ...ARCHIVE_KINDS],
  formats: ARTIFACT_FORMATS,
  detectors: ARTIFACT_DETECTORS,
  rules: [...pickleRules, ...archiveRules, ...kerasRules, ...onnxRules, tfUnsafeOp, safetensorsMalformed, ggufTemplateInjection],
  optionsSchema: schemaJson("artifact-options"),
  async scan(file: ScanFile, ctx: ScanContext): Promise<void> {
    if (file.kind === "unknown" || file.kind === "text") return reportUnreadableModel(file, ctx);
    const w: Walk = { ctx, limits: ctx.settings.limits, expanded: 0, bomb: undefined, tooDeep: [] };
    await scanKind(w, file.file, file.kind, undefined, 0, file.uri);
    walkDone(w);
  },
};

export { artifactScanner as scanner };
