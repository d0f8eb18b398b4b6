// safetensors: u64 little-endian header length, a JSON header, then the tensor bytes.
// The parser only reads; the rule judges lengths, dtypes and offsets.

import type { RandomAccessFile } from "../../../core/random-access";

export interface SafetensorsDocument {
  fileSize: number;
  headerLength: number;
  /** The header JSON, or undefined when it could not be read (see `headerError`). */
  header?: Record<string, unknown>;
  headerError?: string;
  maxHeaderBytes: number;
}

export async function readSafetensors(file: RandomAccessFile, maxHeaderBytes: number): Promise<SafetensorsDocument> {
  const first = await file.read(0, 8);
  const headerLength = first.length === 8 ? Number(first.readBigUInt64LE(0)) : -1;
  const doc: SafetensorsDocument = { fileSize: file.size, headerLength, maxHeaderBytes };
  if (headerLength < 0) {
    doc.headerError = "the file is shorter than the 8-byte header length";
    return doc;
  }
  if (headerLength > maxHeaderBytes) {
    doc.headerError = `the header length ${headerLength} is above the ${maxHeaderBytes}-byte limit`;
    return doc;
  }
  if (8 + headerLength > file.size) {
    doc.headerError = `the header length ${headerLength} runs past the end of the ${file.size}-byte file`;
    return doc;
  }
  const text = (await file.read(8, headerLength)).toString("utf8");
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) doc.headerError = "the header is not a JSON object";
    else doc.header = parsed as Record<string, unknown>;
  } catch (e) {
    doc.headerError = `the header is not valid JSON (${(e as Error).message})`;
  }
  return doc;
}
