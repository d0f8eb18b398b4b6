// A small position-aware tree shared by JSON and YAML policy files, so every rule can say
// on which line of the source file a statement, binding or RBAC rule starts.

import { NodeBudgetError, parseStrictJson } from "./json";
import type { Document, Node as YamlNode } from "yaml";
import { yamlLib } from "../../core/yaml";

export interface SObject {
  type: "object";
  line: number;
  entries: SEntry[];
}
export interface SEntry {
  key: string;
  keyLine: number;
  value: SNode;
}
export interface SArray {
  type: "array";
  line: number;
  items: SNode[];
}
export interface SScalar {
  type: "scalar";
  line: number;
  value: string | number | boolean | null;
  /** YAML tag such as CloudFormation's `!Sub`; the value is then an expression, not a literal. */
  tag?: string;
}
export type SNode = SObject | SArray | SScalar;

export interface SourceError {
  line: number;
  column: number;
  message: string;
}

export interface ParsedSource {
  format: "json" | "yaml";
  documents: SNode[];
  errors: SourceError[];
  /** A Helm / Go template, read after blanking its template actions. */
  templated?: boolean;
}

/** Most nodes one file may expand to; YAML aliases can otherwise multiply a small file (billion laughs). */
export const NODE_BUDGET = 500_000;

export { NodeBudgetError };

export function looksLikeJson(text: string): boolean {
  const t = text.replace(/^\uFEFF/, "").trimStart();
  // "{{" opens a Helm template action, not a JSON object.
  return t.startsWith("[") || (t.startsWith("{") && !t.startsWith("{{"));
}

/** Parses JSON strictly (no comments, no trailing commas); a partial tree is kept after an error. */
export function parseJsonSource(text: string): ParsedSource {
  const { root, error } = parseStrictJson(text, NODE_BUDGET);
  return { format: "json", documents: root ? [root] : [], errors: error ? [error] : [] };
}

/** Parses every document of a YAML stream, keeping line numbers; tags (CloudFormation `!Ref`) are kept as expressions. */
export function parseYamlSource(text: string): ParsedSource {
  const { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } = yamlLib();
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: false, strict: false, logLevel: "silent" });
  const docs: Document[] = Array.isArray(parsed) ? parsed : [];
  const errors: SourceError[] = [];
  const documents: SNode[] = [];
  let budget = NODE_BUDGET;
  const lineOf = (node: YamlNode | null | undefined, fallback: number): number => {
    const start = node?.range?.[0];
    return start === undefined ? fallback : lineCounter.linePos(start).line;
  };
  for (const doc of docs) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      errors.push({ line: pos.line, column: pos.col, message: (e.message.split("\n")[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, "") });
    }
    // Aliases resolved in one pass over the document: Alias.resolve searches the whole document
    // on every call, which made a 1 KB merge-key bomb cost 17-22 s before the budget refused it.
    const targets = aliasTargets(doc);
    const convert = (node: unknown, fallbackLine: number, depth: number): SNode => {
      if (--budget < 0 || depth > 200) throw new NodeBudgetError(`more than ${NODE_BUDGET} YAML nodes or nesting deeper than 200`);
      if (isAlias(node)) {
        const target = targets.get(node);
        return target ? convert(target, lineOf(node, fallbackLine), depth + 1) : { type: "scalar", line: fallbackLine, value: null };
      }
      if (isMap(node)) {
        const line = lineOf(node, fallbackLine);
        const entries: SEntry[] = [];
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const keyNode = pair.key as unknown;
          const key = isScalar(keyNode) ? String(keyNode.value) : keyNode === null || keyNode === undefined ? "" : String(keyNode);
          const keyLine = isScalar(keyNode) ? lineOf(keyNode, line) : line;
          entries.push({ key, keyLine, value: convert(pair.value, keyLine, depth + 1) });
        }
        return withTag({ type: "object", line, entries }, node.tag);
      }
      if (isSeq(node)) {
        const line = lineOf(node, fallbackLine);
        return withTag({ type: "array", line, items: node.items.map((i) => convert(i, line, depth + 1)) }, node.tag);
      }
      if (isScalar(node)) {
        const v = node.value;
        const value = typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : typeof v === "bigint" ? Number(v) : null;
        const scalar: SScalar = { type: "scalar", line: lineOf(node, fallbackLine), value };
        if (node.tag && node.tag.startsWith("!")) scalar.tag = node.tag;
        return scalar;
      }
      return { type: "scalar", line: fallbackLine, value: null };
    };
    if (doc.contents !== null && doc.contents !== undefined) documents.push(convert(doc.contents, 1, 0));
  }
  return { format: "yaml", documents, errors };
}

/** Each alias's node: the last node anchored with its name before it, in document order (YAML 1.2, 7.1). */
function aliasTargets(doc: Document): Map<unknown, unknown> {
  const anchors = new Map<string, unknown>();
  const targets = new Map<unknown, unknown>();
  const { isAlias, visit } = yamlLib();
  visit(doc, (_key, node) => {
    if (isAlias(node)) targets.set(node, anchors.get(node.source));
    else if (node && typeof node === "object" && "anchor" in node && typeof node.anchor === "string") anchors.set(node.anchor, node);
  });
  return targets;
}

/** Tagged collections (`!If [...]`, `!Join [...]`) are CloudFormation expressions; kept as an object naming the function. */
function withTag(node: SObject | SArray, tag: string | undefined): SNode {
  if (!tag || !tag.startsWith("!")) return node;
  return { type: "object", line: node.line, entries: [{ key: `Fn::${tag.slice(1)}`, keyLine: node.line, value: node }] };
}

/** Helm / Go templates: `{{ ... }}` actions in YAML. */
export function isTemplated(text: string): boolean {
  return /\{\{-?\s*[.$a-zA-Z(/"-]/.test(text);
}

/** What a template action becomes when a Helm template is read as YAML. */
export const TEMPLATE_PLACEHOLDER = "(template)";

/**
 * Makes a Helm template readable as YAML with the same line numbers: lines holding only
 * template actions become empty, inline actions become "(template)" (never a
 * wildcard, never a known role or subject).
 */
export function stripTemplateActions(text: string): string {
  return text
    .split("\n")
    .map((line) => (/^\s*(\{\{.*?\}\}\s*)+$/.test(line) ? "" : line.replace(/\{\{.*?\}\}/g, TEMPLATE_PLACEHOLDER)))
    .join("\n");
}

export function parseSource(text: string): ParsedSource {
  if (looksLikeJson(text)) return parseJsonSource(text);
  if (isTemplated(text)) return { ...parseYamlSource(stripTemplateActions(text)), templated: true };
  return parseYamlSource(text);
}

// ---- reading helpers ----

/** Text from a scanned file, made safe for a one-line message: no control characters, at most 120 characters. */
export function clip(value: string, max = 120): string {
  const flat = value.replace(/[\u0000-\u001f\u007f]+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}


export function isObject(n: SNode | undefined): n is SObject {
  return n?.type === "object";
}

/** The value under `key` (exact match first, then case-insensitive); the last of duplicate keys wins, as in JSON.parse. */
export function field(n: SNode | undefined, key: string): SNode | undefined {
  return entry(n, key)?.value;
}

/** The entry under `key`, for the line of the key itself (same matching as `field`). */
export function entry(n: SNode | undefined, key: string): SEntry | undefined {
  if (!isObject(n)) return undefined;
  const lower = key.toLowerCase();
  let insensitive: SEntry | undefined;
  for (let i = n.entries.length - 1; i >= 0; i--) {
    const e = n.entries[i]!;
    if (e.key === key) return e;
    if (!insensitive && e.key.toLowerCase() === lower) insensitive = e;
  }
  return insensitive;
}

export function str(n: SNode | undefined): string | undefined {
  return n?.type === "scalar" && n.value !== null && n.tag === undefined ? String(n.value) : undefined;
}

/** Marker for values that are expressions (CloudFormation intrinsics, Terraform unknowns), never a wildcard. */
export const EXPRESSION = "<expression>";

/** A scalar or a list of scalars as strings; tagged scalars keep their text, objects become EXPRESSION. */
export function strings(n: SNode | undefined): string[] {
  if (!n) return [];
  if (n.type === "array") return n.items.flatMap((i) => (i.type === "array" ? strings(i) : strings(i)));
  if (n.type === "object") return [EXPRESSION];
  if (n.value === null) return [];
  return [String(n.value)];
}

export function items(n: SNode | undefined): SNode[] {
  if (!n) return [];
  return n.type === "array" ? n.items : [n];
}
