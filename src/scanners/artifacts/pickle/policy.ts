// Classifies what a pickle imports against the deny- and allow-lists in rules/lists/pickle-globals.json.

import { loadRulesData } from "../../../core/catalog";

interface PickleGlobalsData {
  aliases: Record<string, string>;
  denyExceptions?: string[];
  deny: Array<{ pattern: string; reason: string }>;
  allow: string[];
}

export type ImportVerdict =
  | { verdict: "deny"; resolved: string; matched: string; reason: string }
  | { verdict: "allow"; resolved: string }
  | { verdict: "unknown"; resolved: string };

interface CompiledPolicy {
  aliases: Map<string, string>;
  denyExceptions: Set<string>;
  deny: Array<{ re: RegExp; pattern: string; reason: string }>;
  allowExact: Set<string>;
  allowPrefixes: string[];
}

const REEXPORTED_BUILTINS = new Set(["eval", "exec", "compile", "__import__", "getattr", "setattr", "open", "globals", "locals", "vars"]);
const DUNDER = /^__[A-Za-z0-9_]+__$/;

function patternToRegExp(pattern: string): RegExp {
  // "x.*" covers x and everything below it; a plain name covers itself and attributes reached through it.
  const body = pattern.endsWith(".*") ? pattern.slice(0, -2) : pattern;
  const escaped = body.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}(\\..*)?$`);
}

let compiled: CompiledPolicy | undefined;
function policy(): CompiledPolicy {
  if (compiled) return compiled;
  const data = loadRulesData<PickleGlobalsData>("lists/pickle-globals.json", "pickle-globals");
  compiled = {
    aliases: new Map(Object.entries(data.aliases)),
    denyExceptions: new Set(data.denyExceptions ?? []),
    deny: data.deny.map((d) => ({ re: patternToRegExp(d.pattern), pattern: d.pattern, reason: d.reason })),
    allowExact: new Set(data.allow.filter((a) => !a.endsWith(".*"))),
    allowPrefixes: data.allow.filter((a) => a.endsWith(".*")).map((a) => a.slice(0, -1)),
  };
  return compiled;
}

function applyAlias(module: string, aliases: Map<string, string>): string {
  const exact = aliases.get(module);
  if (exact) return exact;
  for (const [from, to] of aliases) {
    if (module.startsWith(from + ".")) return to + module.slice(from.length);
  }
  return module;
}

/**
 * Judges `module` + `name` as pickle's find_class resolves them. A dotted name walks
 * attributes (`pathlib` + `os.system` is `os.system`), so every tail of the dotted path is
 * judged as if its first part were a module; and walking through dunder attributes
 * (`__globals__`, `__builtins__`, `__subclasses__`) is itself an escape.
 */
export function classifyImport(module: string, name: string, extraAllow: ReadonlyArray<string> = []): ImportVerdict {
  const p = policy();
  const mod = applyAlias(module, p.aliases);
  const resolved = `${mod}.${name}`;
  const parts = name.split(".");
  const candidates = [resolved];
  // Each dotted tail of two or more parts may start at a module reached as an attribute.
  for (let j = 0; j + 1 < parts.length; j++) {
    candidates.push(`${applyAlias(parts[j]!, p.aliases)}.${parts.slice(j + 1).join(".")}`);
  }
  // The deepest tail first: it is the object the attribute walk ends on.
  for (const candidate of candidates.reverse()) {
    if (!candidate || p.denyExceptions.has(candidate)) continue;
    for (const d of p.deny) {
      // Report what the dotted path really reaches (`pathlib.os.system` is `os.system`).
      if (d.re.test(candidate)) return { verdict: "deny", resolved: candidate, matched: d.pattern, reason: d.reason };
    }
  }
  // A dangerous builtin name re-exported by another module (`gzip.open`, `codecs.open`, a module
  // that did `from builtins import eval`) does what the builtin does.
  const last = parts[parts.length - 1]!;
  if (mod !== "builtins" && REEXPORTED_BUILTINS.has(last)) {
    const d = p.deny.find((x) => x.re.test(`builtins.${last}`));
    if (d) return { verdict: "deny", resolved, matched: d.pattern, reason: d.reason };
  }
  if (parts.length > 1 && parts.some((x, idx) => idx > 0 && DUNDER.test(x))) {
    return { verdict: "deny", resolved, matched: "(dunder attribute traversal)", reason: "walks dunder attributes to reach arbitrary objects" };
  }
  if (parts.length === 1 && DUNDER.test(name) && name !== "__reduce__") {
    return { verdict: "deny", resolved, matched: "(dunder attribute)", reason: "module dunder attributes expose namespaces and loaders" };
  }
  if (p.allowExact.has(resolved)) return { verdict: "allow", resolved };
  // The project's own allow-list (scanners.artifacts.pickleAllow) widens only what is not denied.
  for (const a of extraAllow) {
    if (a.endsWith(".*") ? resolved.startsWith(a.slice(0, -1)) && !parts.some((x) => DUNDER.test(x)) : resolved === a) return { verdict: "allow", resolved };
  }
  if (!parts.some((x) => DUNDER.test(x)) && p.allowPrefixes.some((pre) => resolved.startsWith(pre))) return { verdict: "allow", resolved };
  return { verdict: "unknown", resolved };
}

