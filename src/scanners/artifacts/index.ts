// Model artifacts: finds code that runs when a model file is loaded.

import type { FindingLocation } from "../../types";
import type { ScanContext, ScanFile, Scanner } from "../../core/rule";
import type { RandomAccessFile } from "../../core/random-access";
import { listZip, peekZipEntry, readZipEntry, ZipError } from "./archive/zip";
import { toDocument } from "./pickle/document";
import { analysePickles, looksLikePickle } from "./pickle/machine";
import { pickleRules } from "./pickle/rules";

/** Member names that loaders unpickle whatever their content looks like. */
const PICKLE_MEMBER = /(^|\/)(data|constants|extra|.*)\.(pkl|pickle|pt|pth|bin|joblib|sav|ckpt)$/i;

export function scanPickleBytes(bytes: Uint8Array, ctx: ScanContext, base: Partial<FindingLocation>, mustBePickle: boolean): void {
  const analysis = analysePickles(bytes);
  if (analysis.pickles === 0 && analysis.imports.length === 0 && !mustBePickle) return;
  ctx.runRules(pickleRules, toDocument(analysis), base);
  if (analysis.limitExceeded) {
    ctx.report("aigis/limit-exceeded", {
      message: `Pickle analysis stopped: ${analysis.limitExceeded}; opcodes after offset ${analysis.error?.offset ?? analysis.end} were not checked.`,
      location: { ...base, offset: analysis.error?.offset ?? analysis.end },
      evidence: { limit: analysis.limitExceeded },
      fingerprintKey: "pickle-limit",
    });
  } else if (analysis.error) {
    ctx.report("aigis/parse-error", {
      message: `Pickle ${analysis.error.pickle + 1} is malformed at offset ${analysis.error.offset}: ${analysis.error.message}.`,
      location: { ...base, offset: analysis.error.offset },
      evidence: { format: "pickle", reason: analysis.error.message, picklesRead: analysis.pickles },
      fingerprintKey: "pickle-parse",
    });
  }
}

async function scanZip(archive: RandomAccessFile, ctx: ScanContext, memberPrefix: string): Promise<void> {
  const { limits } = ctx.settings;
  let listing;
  try {
    listing = await listZip(archive, limits.maxArchiveEntries);
  } catch (e) {
    if (!(e instanceof ZipError)) throw e;
    ctx.report("aigis/parse-error", {
      message: `Zip archive could not be read: ${e.message}.`,
      location: memberPrefix ? { member: memberPrefix } : {},
      evidence: { format: "zip", reason: e.message },
      fingerprintKey: "zip-parse",
    });
    return;
  }
  for (const entry of listing.entries) {
    if (entry.name.endsWith("/")) continue;
    const member = memberPrefix ? `${memberPrefix}!/${entry.name}` : entry.name;
    const named = PICKLE_MEMBER.test(entry.name) || (entry.localName !== undefined && PICKLE_MEMBER.test(entry.localName));
    let bytes: Buffer;
    try {
      if (!named) {
        // Only sniff the start of members that are not named like pickles.
        const peek = await peekZipEntry(archive, entry, 4096).catch(() => undefined);
        if (!peek || !looksLikePickle(peek, entry.uncompressedSize)) continue;
      }
      bytes = await readZipEntry(archive, entry, limits.maxInMemoryBytes);
    } catch (e) {
      if (!(e instanceof ZipError)) throw e;
      ctx.report("aigis/parse-error", {
        message: `Archive member ${member} could not be read: ${e.message}.`,
        location: { member },
        evidence: { format: "zip", reason: e.message },
        fingerprintKey: `zip-member:${member}`,
      });
      continue;
    }
    scanPickleBytes(bytes, ctx, { member }, named);
  }
}

export const artifactScanner: Scanner = {
  id: "artifacts",
  kinds: ["pickle", "pytorch-zip", "zip"],
  ruleIds: pickleRules.map((r) => r.id),
  async scan(file: ScanFile, ctx: ScanContext): Promise<void> {
    if (file.kind === "pickle") {
      if (file.size > ctx.settings.limits.maxInMemoryBytes) {
        ctx.report("aigis/limit-exceeded", {
          message: `Pickle of ${file.size} bytes is larger than the in-memory limit of ${ctx.settings.limits.maxInMemoryBytes} bytes and was not analysed.`,
          evidence: { limit: "maxInMemoryBytes", value: ctx.settings.limits.maxInMemoryBytes },
          fingerprintKey: "pickle-size",
        });
        return;
      }
      const bytes = await file.file.read(0, file.size);
      scanPickleBytes(bytes, ctx, {}, true);
      return;
    }
    await scanZip(file.file, ctx, "");
  },
};
