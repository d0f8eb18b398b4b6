import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCatalog, packageRoot } from "../../src/core/catalog";
import { CatalogError } from "../../src/core/catalog";
import { builtinRegistry, createRegistry } from "../../src/core/registry";
import type { Scanner } from "../../src/core/rule";
import { SCANNERS } from "../../src/scanners";
import { rulePack as probeRules } from "../../src/probes/rules";

const noop: Scanner["scan"] = async () => undefined;

describe("rule catalogue and control catalogues", () => {
  const catalog = loadCatalog();

  it("loads the six frameworks with the ids REFERENCE.md names", () => {
    expect(catalog.frameworks.map((f) => f.id).sort()).toEqual(["ccpa", "eu-ai-act", "gdpr", "mitre-atlas", "nist-ai-rmf", "owasp-ml-top10"]);
    expect(catalog.frameworks.find((f) => f.id === "gdpr")!.guid).toBe("C2BC6A45-3FD3-4B12-A735-041C72A4E286");
    for (const id of ["GDPR-32(1)(a)", "CCPA-1798.150", "EUAIA-15(5)", "ATLAS-AML.T0011.000", "OWASP-ML06", "AIRMF-MEASURE-2.10"]) expect(catalog.controls.has(id)).toBe(true);
  });

  it("maps every rule to known controls, each with its rationale, and documents every rule", () => {
    for (const rule of catalog.rules.values()) {
      if (rule.controls.length === 0) expect(rule.unmappedReason).toEqual(expect.any(String));
      for (const c of rule.controls) expect(catalog.controls.has(c)).toBe(true);
      expect(Object.keys(rule.rationale ?? {}).sort()).toEqual([...rule.controls].sort());
      const page = join(packageRoot(), "docs", "rules", `${rule.id.replace("/", "-")}.md`);
      expect(existsSync(page)).toBe(true);
      const text = readFileSync(page, "utf8");
      for (const section of ["## What it finds", "## Why it matters", "## How to fix", "## Controls", "## Example"]) expect(text).toContain(section);
    }
  });

  it("shows each mapping's rationale on the rule's docs page, and no control the rule does not map", () => {
    const controlIds = /`((?:GDPR|CCPA|EUAIA|ATLAS|OWASP|AIRMF)-[^`]+)`/g;
    for (const rule of catalog.rules.values()) {
      const page = readFileSync(join(packageRoot(), "docs", "rules", `${rule.id.replace("/", "-")}.md`), "utf8");
      const section = /^## Controls\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(page)?.[1] ?? "";
      for (const c of rule.controls) expect(section).toContain(`\`${c}\` ${catalog.controls.get(c)!.control.title}: ${rule.rationale![c]}`);
      expect([...section.matchAll(controlIds)].map((m) => m[1]).sort()).toEqual([...rule.controls].sort());
      if (rule.controls.length === 0) expect(section).toContain(rule.unmappedReason!);
    }
  });

  it("agrees with the code: every registered rule has metadata and every catalog rule has code", () => {
    expect(() => builtinRegistry()).not.toThrow();
    expect([...builtinRegistry().rules.keys()].sort()).toEqual([...catalog.rules.keys()].sort());
  });

  it("fails loudly on a rule without metadata, metadata without a rule, and a rule claimed twice", () => {
    const rule = (id: string): Scanner["rules"][number] => ({ meta: { id, appliesTo: { kinds: "*" }, messages: { m: "x." } }, check: () => undefined });
    const ghost: Scanner = { id: "ghost", kinds: [], rules: [rule("artifact/does-not-exist")], scan: noop };
    expect(() => createRegistry([...SCANNERS, ghost])).toThrow(/not in rules\/catalog/);
    const twin: Scanner = { id: "twin", kinds: [], rules: [rule("artifact/pickle-code-execution")], scan: noop };
    expect(() => createRegistry([...SCANNERS, twin])).toThrow(CatalogError);
    expect(() => createRegistry({ scanners: SCANNERS.filter((s) => s.id !== "policies"), packs: [probeRules], requireCompleteCatalog: true })).toThrow(/policy\/.* is in rules\/catalog but no scanner or rule pack registers it/);
  });
});

describe("catalog validation on edited data", () => {
  const { cpSync, mkdtempSync, readFileSync: read, writeFileSync } = require("node:fs") as typeof import("node:fs");
  const { tmpdir } = require("node:os") as typeof import("node:os");
  const copy = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-rules-"));
    cpSync(join(packageRoot(), "rules"), dir, { recursive: true });
    return dir;
  };
  type RuleJson = { id: string; severity?: string; title?: string; controls: string[]; rationale?: Record<string, string>; unmappedReason?: string };
  const editJson = (path: string, edit: (j: { rules: RuleJson[] }) => void): void => {
    const j = JSON.parse(read(path, "utf8"));
    edit(j);
    writeFileSync(path, JSON.stringify(j));
  };

  it("rejects a rule id defined in two catalog files", () => {
    const dir = copy();
    const rule = JSON.parse(read(join(dir, "catalog", "artifact.json"), "utf8")).rules[0];
    writeFileSync(join(dir, "catalog", "zz-dup.json"), JSON.stringify({ area: "artifact", rules: [rule] }));
    expect(() => loadCatalog(dir)).toThrow(/duplicate rule id artifact\/pickle-code-execution in zz-dup.json/);
  });

  it("rejects a rule mapped to a control no framework defines, and reports schema errors all at once", () => {
    const dir = copy();
    editJson(join(dir, "catalog", "artifact.json"), (j) => (j.rules[0]!.controls = ["GDPR-999"]));
    expect(() => loadCatalog(dir)).toThrow(/unknown control GDPR-999/);
    const dir2 = copy();
    editJson(join(dir2, "catalog", "artifact.json"), (j) => {
      j.rules[0]!.severity = "severe";
      delete j.rules[0]!.title;
    });
    expect(() => loadCatalog(dir2)).toThrow(/(title[\s\S]*severity)|(severity[\s\S]*title)/);
  });

  it("rejects a mapping without its rationale, naming the rule and the control to explain", () => {
    const dir = copy();
    editJson(join(dir, "catalog", "protection.json"), (j) => {
      const rule = j.rules.find((r) => r.id === "protection/world-writable")!;
      rule.controls.push("GDPR-5(1)(f)");
    });
    expect(() => loadCatalog(dir)).toThrow(/rule protection\/world-writable maps to GDPR-5\(1\)\(f\) without a rationale/);
  });

  it("rejects a rule whose whole rationale is missing (schema) and a rationale for a control it does not map", () => {
    const dir = copy();
    editJson(join(dir, "catalog", "artifact.json"), (j) => delete j.rules[0]!.rationale);
    expect(() => loadCatalog(dir)).toThrow(/must have required property 'rationale'/);
    const dir2 = copy();
    editJson(join(dir2, "catalog", "artifact.json"), (j) => (j.rules[0]!.rationale!["GDPR-9"] = "A made-up rationale for a control the rule does not map."));
    expect(() => loadCatalog(dir2)).toThrow(/gives a rationale for GDPR-9, which it does not map to/);
  });

  it("rejects a rationale keyed by a control id no framework defines, and every problem is listed at once", () => {
    const dir = copy();
    editJson(join(dir, "catalog", "artifact.json"), (j) => {
      j.rules[0]!.controls.push("OWASP-ML99");
      j.rules[0]!.rationale!["OWASP-ML99"] = "A control id that no framework in rules/frameworks defines.";
      delete j.rules[1]!.rationale![j.rules[1]!.controls[0]!];
    });
    expect(() => loadCatalog(dir)).toThrow(/unknown control OWASP-ML99[\s\S]*without a rationale/);
  });

  it("requires a reason for a rule that maps to no control, and no such reason beside mappings", () => {
    const dir = copy();
    editJson(join(dir, "catalog", "artifact.json"), (j) => {
      j.rules[0]!.controls = [];
      j.rules[0]!.rationale = {};
    });
    expect(() => loadCatalog(dir)).toThrow(/unmappedReason/);
    const dir2 = copy();
    editJson(join(dir2, "catalog", "artifact.json"), (j) => (j.rules[0]!.unmappedReason = "A reason that contradicts the rule's mappings."));
    expect(() => loadCatalog(dir2)).toThrow(/gives an unmappedReason but maps to/);
  });

  it("holds a custom scanner's catalogue entries to the same rule", () => {
    const rule: Scanner["rules"][number] = { meta: { id: "custom/unexplained", appliesTo: { kinds: ["text"] }, messages: { m: "x." } }, check: () => undefined };
    const entry = { id: "custom/unexplained", severity: "low" as const, title: "Unexplained mapping", description: "A custom rule whose mapping has no rationale.", remediation: "Explain the mapping.", controls: ["AIRMF-MEASURE-2.7"], tags: [] };
    const plugin = (extra: object): Scanner => ({ id: "custom", kinds: ["text"], rules: [rule], catalog: [{ ...entry, ...extra }], scan: noop });
    expect(() => createRegistry([...SCANNERS, plugin({ rationale: {} })])).toThrow(/custom\/unexplained maps to AIRMF-MEASURE-2.7 without a rationale/);
    expect(() => createRegistry([...SCANNERS, plugin({ rationale: { "AIRMF-MEASURE-2.7": "Findings of this made-up rule stand for failed evaluations." } })])).not.toThrow();
  });
});
