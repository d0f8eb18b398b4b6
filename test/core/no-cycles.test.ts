// Guard rail: no import cycles in src/. Only runtime imports count (a type-only import is
// erased and cannot form a load-time cycle); lazy require() calls inside functions are
// deliberate and not module-level edges.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(__dirname, "..", "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** Module-level runtime imports of each file that resolve to another file in the tree. */
function importGraph(files: string[], read: (f: string) => string): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of read(f).matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+"(\.[^"]+)"|^import\s+"(\.[^"]+)"/gm)) {
      const base = resolve(dirname(f), (m[1] ?? m[2])!);
      const target = [`${base}.ts`, join(base, "index.ts")].find((c) => known.has(c));
      if (target) deps.push(target);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("import cycles", () => {
  it("finds a cycle when there is one, through a multi-line import, and ignores type-only imports", () => {
    const files = ["/x/a.ts", "/x/b.ts", "/x/c.ts", "/x/d.ts"];
    const text: Record<string, string> = {
      "/x/a.ts": 'import {\n  b,\n} from "./b";\n',
      "/x/b.ts": 'import { a } from "./a";\n',
      "/x/c.ts": 'import type { D } from "./d";\n',
      "/x/d.ts": 'import { c } from "./c";\n',
    };
    expect(cycles(importGraph(files, (f) => text[f]!))).toEqual([["/x/b.ts", "/x/a.ts"]]);
  });

  it("src/ has none", () => {
    const src = join(ROOT, "src");
    expect(existsSync(src)).toBe(true);
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(100);
    const found = cycles(importGraph(files, (f) => readFileSync(f, "utf8"))).map((c) => c.map((f) => relative(ROOT, f)));
    expect(found).toEqual([]);
  });
});
