// Jinja chat templates (tokenizer_config.json, GGUF metadata, .jinja files): parsed with
// @huggingface/jinja, the parser Hugging Face maintains for exactly these templates, then
// walked for what a sandbox escape needs: reaching a Python attribute that starts with an
// underscore (`__class__`, `__globals__`, `_TemplateReference__context`). Attribute names
// are folded from string building (`'__cla' ~ 'ss__'`, `|join`, `|format('%c')`, `[::-1]`,
// `|replace`, `{% set %}`), and the lexer already decodes `\x5f` / `\u005f` escapes, so a
// hidden name is judged by what Jinja would look up, not by how it is spelled.
// Templates the parser refuses (Jinja statements it does not support, e.g. `{% import %}`)
// are judged by their tokens; text the lexer refuses by its escape-decoded text.

import { loadRulesData } from "../../../core/catalog";

// The package ships CommonJS (dist/index.cjs) behind its exports map, but its type declarations
// are ESM-only, so it is required with the two functions typed here; loaded on first use.
interface JinjaParser {
  tokenize(source: string): Array<{ value: string; type: string }>;
  parse(tokens: Array<{ value: string; type: string }>): unknown;
}
let jinja: JinjaParser | undefined;
const jinjaParser = (): JinjaParser => (jinja ??= require("@huggingface/jinja") as JinjaParser);

export interface ChatTemplateLists {
  /** Names of modules and callables that run code or processes; reaching one is high. */
  dangerousNames: string[];
  /** Filters whose string arguments name attributes (attr, map(attribute=...), selectattr, ...). */
  attributeFilters: string[];
  /** Statements that load other templates or modules; a chat template needs none. */
  loaderStatements: string[];
  /** Legacy text patterns, used only when the template cannot even be tokenised. */
  textPatterns: Array<{ pattern: string; reason: string }>;
}

export interface TemplateIssue {
  severity: "critical" | "high" | "medium";
  /** Why it matters, phrased to follow "holds a Jinja template that ...". */
  reason: string;
  /** The name or construct found, after decoding and folding. */
  text: string;
}

export interface TemplateAnalysis {
  /** How far the template was understood: a full parse, tokens only, or decoded text only. */
  depth: "ast" | "tokens" | "text";
  parseError?: string;
  issues: TemplateIssue[];
}

export function chatTemplateLists(): ChatTemplateLists {
  return loadRulesData<{ chatTemplate: ChatTemplateLists }>("lists/model-folders.json", "model-folders").chatTemplate;
}

/** Largest template analysed; a longer one is judged by its text only. */
export const MAX_TEMPLATE_CHARS = 1024 * 1024;

type Node = { type: string; [k: string]: unknown };
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && typeof (v as Node).type === "string";

const PRIVATE = /^_/;
/** Filters and string methods that build a string from parts. */
const STRING_BUILDERS = new Set(["join", "format", "reverse", "replace", "string", "lower", "upper", "first", "last", "trim", "strip", "title", "capitalize", "center", "decode", "urlencode", "unique", "sum"]);

class Walker {
  readonly issues: TemplateIssue[] = [];
  private readonly seen = new Set<string>();
  /** `{% set name = <constant string> %}` bindings, for folding later uses of the name. */
  private readonly env = new Map<string, string>();
  private readonly dangerous: Set<string>;
  private readonly attributeFilters: Set<string>;

  constructor(lists: ChatTemplateLists) {
    this.dangerous = new Set(lists.dangerousNames);
    this.attributeFilters = new Set(lists.attributeFilters);
  }

  add(issue: TemplateIssue): void {
    const key = `${issue.severity}:${issue.reason}:${issue.text}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.issues.push(issue);
  }

  /** Judges a name Jinja looks up as an attribute or item. */
  attribute(name: string, how: string): void {
    if (PRIVATE.test(name)) {
      this.add({ severity: "critical", reason: `${how} reaches \`${name}\`: it walks Python object internals to escape the Jinja sandbox`, text: name });
    } else if (this.dangerous.has(name)) {
      this.add({ severity: "high", reason: `${how} reaches \`${name}\`, which runs code or processes`, text: name });
    }
  }

  /** The constant string an expression evaluates to, when it can be known without rendering. */
  fold(e: unknown, depth = 0): string | undefined {
    if (!isNode(e) || depth > 64) return undefined;
    switch (e.type) {
      case "StringLiteral":
        return e.value as string;
      case "IntegerLiteral":
      case "FloatLiteral":
        return String(e.value);
      case "Identifier":
        return this.env.get(e.value as string);
      case "BinaryExpression": {
        const op = (e.operator as { value: string }).value;
        if (op === "*") {
          // '_' * 2
          const right = this.num(e.right);
          const n = right ?? this.num(e.left);
          const str = right !== undefined ? this.fold(e.left, depth + 1) : this.fold(e.right, depth + 1);
          return str !== undefined && n !== undefined && n >= 0 && n <= 64 ? str.repeat(n) : undefined;
        }
        if (op !== "~" && op !== "+") return undefined;
        const l = this.fold(e.left, depth + 1);
        const r = this.fold(e.right, depth + 1);
        return l !== undefined && r !== undefined ? l + r : undefined;
      }
      case "MemberExpression": {
        if (!e.computed) return undefined;
        const base = this.fold(e.object, depth + 1);
        if (base === undefined) return undefined;
        const p = e.property as Node;
        if (p.type === "SliceExpression") return pySlice(base, this.num(p.start), this.num(p.stop), this.num(p.step));
        const i = this.num(p);
        if (i === undefined) return undefined;
        return base.at(i);
      }
      case "FilterExpression":
        return this.foldFilter(e.operand, e.filter as Node, depth);
      case "CallExpression": {
        const callee = e.callee as Node;
        if (callee.type !== "MemberExpression" || callee.computed) return undefined;
        const method = (callee.property as Node).value as string;
        const args = (e.args as unknown[]) ?? [];
        if (method === "join") {
          const sep = this.fold(callee.object, depth + 1);
          const parts = this.foldList(args[0], depth);
          return sep !== undefined && parts ? parts.join(sep) : undefined;
        }
        const base = this.fold(callee.object, depth + 1);
        if (base === undefined) return undefined;
        return applyStringOp(method, base, args.map((a) => this.fold(a, depth + 1)));
      }
      default:
        return undefined;
    }
  }

  private num(e: unknown): number | undefined {
    if (!isNode(e)) return undefined;
    if (e.type === "IntegerLiteral") return e.value as number;
    if (e.type === "UnaryExpression" && (e.operator as { value: string }).value === "-" && isNode(e.argument) && e.argument.type === "IntegerLiteral") return -(e.argument.value as number);
    return undefined;
  }

  private foldList(e: unknown, depth: number): string[] | undefined {
    if (!isNode(e)) return undefined;
    if (e.type === "ArrayLiteral" || e.type === "TupleLiteral") {
      const items = (e.value as unknown[]).map((x) => this.fold(x, depth + 1));
      return items.every((x): x is string => x !== undefined) ? items : undefined;
    }
    // dict(__cla=1, ss__=1) iterates over its keys.
    if (e.type === "CallExpression" && isNode(e.callee) && e.callee.type === "Identifier" && e.callee.value === "dict") {
      const args = e.args as Node[];
      if (args.every((a) => a.type === "KeywordArgumentExpression")) return args.map((a) => (a.key as Node).value as string);
    }
    if (e.type === "ObjectLiteral") {
      const keys = [...(e.value as Map<unknown, unknown>).keys()].map((k) => this.fold(k, depth + 1));
      return keys.every((x): x is string => x !== undefined) ? keys : undefined;
    }
    const s = this.fold(e, depth + 1);
    return s === undefined ? undefined : [...s];
  }

  private foldFilter(operand: unknown, filter: Node, depth: number): string | undefined {
    const name = filter.type === "Identifier" ? (filter.value as string) : isNode(filter.callee) ? (filter.callee.value as string) : "";
    const args = filter.type === "CallExpression" ? ((filter.args as unknown[]) ?? []) : [];
    if (name === "join") {
      const parts = this.foldList(operand, depth);
      const sep = args[0] === undefined ? "" : this.fold(args[0], depth + 1);
      return parts && sep !== undefined ? parts.join(sep) : undefined;
    }
    if (name === "first" || name === "last") {
      const parts = this.foldList(operand, depth);
      return parts ? (name === "first" ? parts[0] : parts[parts.length - 1]) : undefined;
    }
    if (name === "format") {
      const fmt = this.fold(operand, depth + 1);
      if (fmt === undefined) return undefined;
      return pyPercent(fmt, args.map((a) => (isNode(a) && (a.type === "IntegerLiteral" || a.type === "FloatLiteral") ? (a.value as number) : this.fold(a, depth + 1))));
    }
    const base = this.fold(operand, depth + 1);
    if (base === undefined) return undefined;
    return applyStringOp(name, base, args.map((a) => this.fold(a, depth + 1)));
  }

  /** True when an expression builds a string at render time (so an attribute name built from it is hidden); index arithmetic is not. */
  private built(e: unknown, depth = 0): boolean {
    if (!isNode(e) || depth > 64) return false;
    const stringy = (x: unknown): boolean => isNode(x) && (x.type === "StringLiteral" || this.built(x, depth + 1));
    switch (e.type) {
      case "BinaryExpression": {
        const op = (e.operator as { value: string }).value;
        if (op === "~") return true;
        return ["+", "%", "*"].includes(op) && (stringy(e.left) || stringy(e.right));
      }
      case "FilterExpression": {
        const f = e.filter as Node;
        const name = f.type === "Identifier" ? (f.value as string) : isNode(f.callee) ? (f.callee.value as string) : "";
        return STRING_BUILDERS.has(name) || this.built(e.operand, depth + 1);
      }
      case "CallExpression": {
        const c = e.callee as Node;
        return c.type === "MemberExpression" && !c.computed && STRING_BUILDERS.has((c.property as Node).value as string);
      }
      case "MemberExpression":
        return Boolean(e.computed) && isNode(e.property) && e.property.type === "SliceExpression";
      default:
        return false;
    }
  }

  /** An attribute name given as an expression: folded when possible, else a hidden lookup. */
  private nameExpression(e: unknown, how: string, dynamicIsIssue: boolean): void {
    const name = this.fold(e);
    if (name !== undefined) this.attribute(name, how);
    else if (dynamicIsIssue) this.add({ severity: "high", reason: `${how} looks up an attribute whose name is built at render time, which hides what it reaches`, text: describe(e) });
  }

  walk(n: unknown, depth = 0): void {
    if (depth > 2000) return;
    if (Array.isArray(n)) {
      for (const x of n) this.walk(x, depth + 1);
      return;
    }
    if (n instanceof Map) {
      for (const [k, v] of n) {
        this.walk(k, depth + 1);
        this.walk(v, depth + 1);
      }
      return;
    }
    if (!isNode(n)) return;
    switch (n.type) {
      case "Set": {
        const a = n.assignee as Node;
        if (a.type === "Identifier") {
          const v = this.fold(n.value);
          if (v !== undefined) this.env.set(a.value as string, v);
        }
        break;
      }
      case "Identifier": {
        const name = n.value as string;
        if (name.startsWith("__")) this.add({ severity: "critical", reason: `names \`${name}\`, a Python internal`, text: name });
        break;
      }
      case "MemberExpression": {
        const p = n.property as Node;
        if (!n.computed && p.type === "Identifier") {
          this.attribute(p.value as string, "attribute access");
          // The property is an attribute name, not a variable: judged above, not walked again.
          this.walk(n.object, depth + 1);
          return;
        }
        if (n.computed && p.type !== "SliceExpression" && p.type !== "IntegerLiteral") this.nameExpression(p, "item access", this.built(p));
        break;
      }
      case "FilterExpression":
      case "FilterStatement": {
        const f = n.filter as Node;
        const name = f.type === "Identifier" ? (f.value as string) : isNode(f.callee) ? (f.callee.value as string) : "";
        if (this.attributeFilters.has(name) && f.type === "CallExpression") {
          for (const a of f.args as Node[]) {
            const value = a.type === "KeywordArgumentExpression" ? a.value : a;
            if (name === "attr") this.nameExpression(value, "the attr filter", true);
            else if (a.type === "KeywordArgumentExpression" && (a.key as Node).value === "attribute") this.nameExpression(value, `the ${name} filter's attribute argument`, true);
            else {
              const s = this.fold(value);
              // map('attr', '__class__') and similar: any string argument may be an attribute name.
              if (s !== undefined && PRIVATE.test(s)) this.attribute(s, `the ${name} filter`);
            }
          }
        } else if (name === "attr") {
          this.add({ severity: "high", reason: "uses the attr filter without a visible attribute name", text: "attr" });
        }
        break;
      }
      case "KeywordArgumentExpression":
        // A keyword's name is not a lookup; dict(__cla=1, ss__=1)|join is judged where the joined name is used.
        this.walk(n.value, depth + 1);
        return;
      case "CallExpression": {
        const c = n.callee as Node;
        if (c.type === "Identifier" && this.dangerous.has(c.value as string)) {
          this.add({ severity: "high", reason: `calls \`${c.value as string}\`, which runs code or processes`, text: c.value as string });
        }
        break;
      }
      default:
        break;
    }
    for (const [k, v] of Object.entries(n)) {
      if (k === "type" || k === "operator") continue;
      if (typeof v === "object" && v !== null) this.walk(v, depth + 1);
    }
  }
}

function describe(e: unknown): string {
  if (!isNode(e)) return "?";
  if (e.type === "Identifier") return e.value as string;
  if (e.type === "StringLiteral") return JSON.stringify(e.value);
  if (e.type === "FilterExpression") {
    const f = e.filter as Node;
    return `${describe(e.operand)}|${f.type === "Identifier" ? (f.value as string) : isNode(f.callee) ? (f.callee.value as string) : "?"}`;
  }
  if (e.type === "BinaryExpression") return `${describe(e.left)} ${(e.operator as { value: string }).value} ${describe(e.right)}`;
  if (e.type === "MemberExpression") return `${describe(e.object)}[…]`;
  if (e.type === "CallExpression") return `${describe(e.callee)}(…)`;
  return e.type;
}

function applyStringOp(name: string, base: string, args: Array<string | undefined>): string | undefined {
  switch (name) {
    case "lower":
      return base.toLowerCase();
    case "upper":
      return base.toUpperCase();
    case "string":
    case "safe":
    case "e":
    case "escape":
      return base;
    case "trim":
    case "strip":
      return base.trim();
    case "reverse":
      return [...base].reverse().join("");
    case "replace":
      return args[0] !== undefined && args[1] !== undefined ? base.split(args[0]).join(args[1]) : undefined;
    case "capitalize":
      return base.charAt(0).toUpperCase() + base.slice(1).toLowerCase();
    case "format": {
      // str.format with positional {} fields.
      let i = 0;
      let ok = true;
      const out = base.replace(/\{(\d*)\}/g, (_m, idx: string) => {
        const v = args[idx === "" ? i++ : Number(idx)];
        if (v === undefined) ok = false;
        return v ?? "";
      });
      return ok ? out : undefined;
    }
    default:
      return undefined;
  }
}

/** Python `%` formatting for the conversions string building uses (%c %s %d %x %o %%). */
function pyPercent(fmt: string, args: Array<string | number | undefined>): string | undefined {
  let i = 0;
  let ok = true;
  const out = fmt.replace(/%([csdxo%])/g, (_m, conv: string) => {
    if (conv === "%") return "%";
    const v = args[i++];
    if (v === undefined) {
      ok = false;
      return "";
    }
    if (conv === "c") return typeof v === "number" ? String.fromCodePoint(v) : v;
    if (conv === "s") return String(v);
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isFinite(n)) {
      ok = false;
      return "";
    }
    return conv === "x" ? n.toString(16) : conv === "o" ? n.toString(8) : String(Math.trunc(n));
  });
  return ok ? out : undefined;
}

function pySlice(s: string, start: number | undefined, stop: number | undefined, step: number | undefined): string | undefined {
  const chars = [...s];
  const n = chars.length;
  const st = step ?? 1;
  if (st === 0) return undefined;
  const norm = (v: number | undefined, dflt: number, lo: number, hi: number): number => (v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + n : v, lo), hi));
  const out: string[] = [];
  if (st > 0) {
    for (let i = norm(start, 0, 0, n); i < norm(stop, n, 0, n); i += st) out.push(chars[i]!);
  } else {
    for (let i = norm(start, n - 1, -1, n - 1); i > norm(stop, -1, -1, n - 1); i += st) out.push(chars[i]!);
  }
  return out.join("");
}

type Tok = { value: string; type: string };

function analyseTokens(tokens: Tok[], lists: ChatTemplateLists, w: Walker): void {
  const loaders = new Set(lists.loaderStatements);
  const dangerous = new Set(lists.dangerousNames);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (t.type === "Identifier" && prev?.type === "Dot") w.attribute(t.value, "attribute access");
    else if (t.type === "Identifier" && t.value.startsWith("__")) w.add({ severity: "critical", reason: `names \`${t.value}\`, a Python internal`, text: t.value });
    if (t.type === "Identifier" && prev?.type === "OpenStatement" && loaders.has(t.value)) {
      w.add({ severity: "high", reason: `uses \`{% ${t.value} %}\` to load other templates or modules, which a chat template never needs`, text: t.value });
    }
    if (t.type === "Identifier" && prev?.type === "Pipe" && t.value === "attr") w.add({ severity: "high", reason: "uses the attr filter to reach attributes by computed name", text: "attr" });
    if (t.type === "Identifier" && dangerous.has(t.value) && next?.type === "OpenParen") w.add({ severity: "high", reason: `calls \`${t.value}\`, which runs code or processes`, text: t.value });
    if (t.type === "StringLiteral") {
      // Adjacent literals joined by ~ or + are folded before judging.
      let s = t.value;
      let j = i;
      while ((tokens[j + 1]?.value === "~" || tokens[j + 1]?.value === "+") && tokens[j + 2]?.type === "StringLiteral") {
        s += tokens[j + 2]!.value;
        j += 2;
      }
      if (/^__\w+__$/.test(s) || /^_[A-Za-z]\w*__\w+$/.test(s)) w.attribute(s, "a string literal");
    }
  }
}

/** Decodes Python string escapes (\xNN, \uNNNN, \UNNNNNNNN, \NNN octal) for the text-only fallback. */
export function decodePythonEscapes(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3})/g, (_m, esc: string) => {
    const code = esc[0] === "x" || esc[0] === "u" || esc[0] === "U" ? parseInt(esc.slice(1), 16) : parseInt(esc, 8);
    return code <= 0x10ffff ? String.fromCodePoint(code) : _m;
  });
}

/** Analyses one Jinja template. Never throws on template content. */
export function analyseChatTemplate(source: string, lists: ChatTemplateLists = chatTemplateLists()): TemplateAnalysis {
  const w = new Walker(lists);
  const textOnly = (parseError: string): TemplateAnalysis => {
    const text = decodePythonEscapes(source);
    for (const p of lists.textPatterns) {
      const m = new RegExp(p.pattern, "i").exec(text);
      if (m) w.add({ severity: "high", reason: p.reason, text: m[0] });
    }
    return { depth: "text", parseError, issues: w.issues };
  };
  if (source.length > MAX_TEMPLATE_CHARS) return textOnly(`template of ${source.length} characters is longer than the ${MAX_TEMPLATE_CHARS}-character analysis limit`);
  let tokens: Tok[];
  try {
    tokens = jinjaParser().tokenize(source);
  } catch (e) {
    return textOnly((e as Error).message);
  }
  try {
    w.walk(jinjaParser().parse(tokens));
    return { depth: "ast", issues: bySeverity(w.issues) };
  } catch (e) {
    analyseTokens(tokens, lists, w);
    return { depth: "tokens", parseError: (e as Error).message, issues: bySeverity(w.issues) };
  }
}

const RANK = { critical: 0, high: 1, medium: 2 } as const;
const bySeverity = (issues: TemplateIssue[]): TemplateIssue[] => [...issues].sort((a, b) => RANK[a.severity] - RANK[b.severity]);

/** The worst severity among issues, or undefined when there are none. */
export function worstSeverity(issues: TemplateIssue[]): TemplateIssue["severity"] | undefined {
  if (issues.some((i) => i.severity === "critical")) return "critical";
  if (issues.some((i) => i.severity === "high")) return "high";
  return issues.length > 0 ? "medium" : undefined;
}
