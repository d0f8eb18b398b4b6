#!/usr/bin/env node
// Rewrites the "## Controls" section of every docs/rules/<area>-<check>.md from the rule
// catalogue (rules/catalog/*.json) and the control catalogues (rules/frameworks/*.json): each
// mapped control with its title and the one-line rationale reviewed with the mapping. Run it
// after changing a mapping; test/core/catalog.test.ts fails while a page disagrees.
//   node scripts/rule-docs-controls.js          rewrite the pages
//   node scripts/rule-docs-controls.js --check  list pages that disagree, exit 1 if any
"use strict";
const { readdirSync, readFileSync, writeFileSync, existsSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const readJson = (p) => JSON.parse(readFileSync(p, "utf8"));

function controlsSection(rule, area, titles) {
  const out = ["## Controls", ""];
  if (rule.controls.length === 0) {
    out.push(`This rule maps to no control: ${rule.unmappedReason}`);
  } else {
    out.push(`Why a finding of this rule is evidence that each control is not met (reviewed with the mapping in \`rules/catalog/${area}.json\`):`, "");
    for (const c of rule.controls) out.push(`- \`${c}\` ${titles.get(c) ?? ""}: ${(rule.rationale ?? {})[c] ?? ""}`);
  }
  return out.join("\n") + "\n";
}

function main() {
  const titles = new Map();
  for (const f of readdirSync(join(root, "rules", "frameworks")).filter((n) => n.endsWith(".json"))) {
    for (const c of readJson(join(root, "rules", "frameworks", f)).controls) titles.set(c.id, c.title);
  }
  const check = process.argv.includes("--check");
  const stale = [];
  for (const f of readdirSync(join(root, "rules", "catalog")).filter((n) => n.endsWith(".json")).sort()) {
    const file = f.slice(0, -".json".length);
    for (const rule of readJson(join(root, "rules", "catalog", f)).rules) {
      const page = join(root, "docs", "rules", `${rule.id.replace("/", "-")}.md`);
      if (!existsSync(page)) continue;
      const text = readFileSync(page, "utf8");
      const start = text.search(/^## Controls\s*$/m);
      if (start < 0) continue;
      const rest = text.slice(start + 1);
      const next = rest.search(/^## /m);
      const end = next < 0 ? text.length : start + 1 + next;
      const section = controlsSection(rule, file, titles) + (next < 0 ? "" : "\n");
      if (text.slice(start, end) === section) continue;
      stale.push(page);
      if (!check) writeFileSync(page, text.slice(0, start) + section + text.slice(end));
    }
  }
  for (const p of stale) process.stdout.write(`${check ? "stale" : "rewrote"} ${p}\n`);
  if (check && stale.length > 0) process.exitCode = 1;
}

main();
