// Judges what a pickle imports against rules/lists/pickle-globals.json, allow-list first (as
// torch.load(weights_only=True) does): a callable is trusted only when the allow-list names it;
// the deny-list marks the known execution primitives, which are critical rather than merely
// untrusted.

import { loadRulesData } from "../../../core/catalog";

interface AllowTree {
  module: string;
  except?: string[];
  note?: string;
}

interface PickleGlobalsData {
  aliases: Record<string, string>;
  denyExceptions?: string[];
  deny: Array<{ pattern: string; reason: string }>;
  allow: string[];
  allowTrees?: AllowTree[];
  stdlib?: string[];
  libraries?: Record<string, string>;
}

/**
 * - deny: a known execution primitive (critical).
 * - allow: may be imported and called.
 * - reference: may be imported (e.g. a scikit-learn score function kept as a parameter) but a
 *   pickle that calls it is doing something real checkpoints never do.
 * - unknown: on no list; importing it runs its module, calling it runs whatever it does.
 */
export type ImportVerdict =
  | { verdict: "deny"; resolved: string; matched: string; reason: string }
  | { verdict: "allow"; resolved: string; matched: string }
  | { verdict: "reference"; resolved: string; matched: string }
  | { verdict: "unknown"; resolved: string };

interface CompiledPolicy {
  aliases: Map<string, string>;
  denyExceptions: Set<string>;
  deny: Array<{ re: RegExp; pattern: string; reason: string }>;
  allowExact: Set<string>;
  allowPrefixes: string[];
  trees: Array<{ module: string; except: string[] }>;
  stdlib: Set<string>;
  libraries: Map<string, string>;
}

const REEXPORTED_BUILTINS = new Set(["eval", "exec", "compile", "__import__", "getattr", "setattr", "open", "globals", "locals", "vars"]);
const DUNDER = /^__[A-Za-z0-9_]+__$/;
/**
 * Python's naming convention for classes: CapWords (`Linear`, `LSTM`, `PCA`); functions are
 * lower case. Cython's generated reconstructors (`__pyx_unpickle_<Type>`) rebuild an extension
 * type of their own module and count as classes.
 */
const CLASS_NAME = /^(_*[A-Z][A-Za-z0-9]*|__pyx_unpickle_[A-Za-z0-9_]+)$/;

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
    allowPrefixes: data.allow.filter((a) => a.endsWith(".*")).map((a) => a.slice(0, -2)),
    trees: (data.allowTrees ?? []).map((t) => ({ module: t.module, except: t.except ?? [] })),
    stdlib: new Set(data.stdlib ?? []),
    libraries: new Map(Object.entries(data.libraries ?? {})),
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

/** `module` is `root` or a submodule of it. */
const under = (module: string, root: string): boolean => module === root || module.startsWith(root + ".");

/**
 * A `prefix.*` entry (built-in or the project's) allows one attribute of a module at or under
 * `prefix`: never a dotted attribute walk, which could end on anything the module imported.
 */
function prefixAllows(prefix: string, mod: string, name: string): boolean {
  return !name.includes(".") && !DUNDER.test(name) && under(mod, prefix);
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
  // `pkg.__main__` (any dunder module below the top level) runs a package's command line when imported.
  if (mod.split(".").some((x, idx) => idx > 0 && DUNDER.test(x))) {
    return { verdict: "deny", resolved, matched: "(dunder module)", reason: "imports a package's __main__ or other dunder module, which runs its command-line code" };
  }
  if (p.allowExact.has(resolved)) return { verdict: "allow", resolved, matched: resolved };
  // The project's own allow-list (scanners.artifacts.pickleAllow, like torch.serialization.add_safe_globals)
  // widens only what is not denied.
  for (const a of extraAllow) {
    if (a.endsWith(".*") ? prefixAllows(a.slice(0, -2), mod, name) : resolved === a) return { verdict: "allow", resolved, matched: `pickleAllow: ${a}` };
  }
  for (const pre of p.allowPrefixes) {
    if (prefixAllows(pre, mod, name)) return { verdict: "allow", resolved, matched: `${pre}.*` };
  }
  for (const t of p.trees) {
    if (!under(mod, t.module) || t.except.some((x) => under(mod, x))) continue;
    if (name.includes(".") || DUNDER.test(name)) break;
    return { verdict: CLASS_NAME.test(name) ? "allow" : "reference", resolved, matched: `${t.module} (tree)` };
  }
  return { verdict: "unknown", resolved };
}

/**
 * What an untrusted callable is, for the finding's message: where it comes from (the script
 * that saved the file, the standard library, a known ML library, other code) and whether its
 * name reads as a class or a function.
 */
export function describeCallable(resolved: string, module: string): { origin: "script" | "stdlib" | "library" | "other"; kind: "class" | "function"; text: string } {
  const p = policy();
  const name = resolved.slice(resolved.lastIndexOf(".") + 1);
  const kind = CLASS_NAME.test(name) ? "class" : "function";
  const top = module.split(".")[0]!;
  if (top === "__main__") return { origin: "script", kind, text: `a ${kind} defined in the script that saved the file (\`__main__\`), which must be importable wherever the file is loaded` };
  if (p.stdlib.has(top)) return { origin: "stdlib", kind, text: `a Python standard-library ${kind} (\`${top}\`) that real model files do not need` };
  const lib = p.libraries.get(top);
  if (lib) return { origin: "library", kind, text: `a ${lib} ${kind} that is not among the ones aigis knows real checkpoints contain` };
  return { origin: "other", kind, text: `a ${kind} from \`${top}\`, code outside the libraries aigis knows (your own model code, or a third-party package)` };
}
