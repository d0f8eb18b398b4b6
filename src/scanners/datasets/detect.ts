// Content detectors for dataset formats core does not know (CSV and JSON Lines are core's text kinds).

import type { ContentDetector, FormatDeclaration } from "../../types";
import { startsWith } from "../../core/sniff";

export const DATASET_FORMATS: ReadonlyArray<FormatDeclaration> = [
  { kind: "csv", category: "data", description: "CSV / TSV table" },
  { kind: "jsonl", category: "data", description: "JSON Lines records" },
  { kind: "parquet", category: "data", description: "Apache Parquet table" },
  { kind: "image", category: "data", description: "PNG, JPEG, GIF or WebP image" },
];

export const DATASET_DETECTORS: ReadonlyArray<ContentDetector> = [
  { name: "parquet", order: 103, refines: "*", detect: ({ head }) => (startsWith(head, "PAR1") ? "parquet" : undefined) },
  {
    name: "image",
    order: 104,
    refines: "*",
    detect: ({ head }) =>
      startsWith(head, [0x89, 0x50, 0x4e, 0x47]) || startsWith(head, [0xff, 0xd8, 0xff]) || startsWith(head, "GIF8") || (startsWith(head, "RIFF") && startsWith(head, "WEBP", 8)) ? "image" : undefined,
  },
];
