import { Command } from "commander";
import { loadCatalog } from "../../core/catalog";
import { UsageError } from "../../core/errors";
import type { CatalogRule } from "../../types";
import type { CliIO, CommandOutcome } from "../io";

export function register(program: Command, io: CliIO, outcome: CommandOutcome): void {
  program
    .command("rules")
    .description("list the rule catalogue with severities and mapped controls")
    .option("--framework <id>", "only rules mapped to this framework, with its controls (gdpr, ccpa, eu-ai-act, mitre-atlas, owasp-ml-top10, nist-ai-rmf)")
    .option("--format <format>", "text or json", "text")
    .action((opts: { framework?: string; format: string }) => {
      const catalog = loadCatalog();
      let rules: CatalogRule[] = [...catalog.rules.values()].sort((a, b) => a.id.localeCompare(b.id));
      let controlFilter: (c: string) => boolean = () => true;
      if (opts.framework) {
        const fw = catalog.frameworks.find((f) => f.id === opts.framework);
        if (!fw) throw new UsageError(`unknown framework '${opts.framework}' (use ${catalog.frameworks.map((f) => f.id).join(", ")})`);
        const ids = new Set(fw.controls.map((c) => c.id));
        controlFilter = (c) => ids.has(c);
        rules = rules.filter((r) => r.controls.some(controlFilter));
      }
      if (opts.format === "json") {
        // Each listed control keeps its rationale; controls filtered out take theirs with them.
        const listed = rules.map((r) => {
          const controls = r.controls.filter(controlFilter);
          return { ...r, controls, rationale: Object.fromEntries(controls.map((c) => [c, r.rationale?.[c] ?? ""])) };
        });
        io.stdout.write(JSON.stringify(listed, null, 2) + "\n");
      } else if (opts.format === "text") {
        const width = Math.max(...rules.map((r) => r.id.length), 4);
        io.stdout.write(`${"RULE".padEnd(width)}  SEVERITY  CONTROLS\n`);
        for (const r of rules) {
          io.stdout.write(`${r.id.padEnd(width)}  ${r.severity.padEnd(8)}  ${r.controls.filter(controlFilter).join(", ")}\n`);
          io.stdout.write(`${"".padEnd(width)}  ${"".padEnd(8)}  ${r.title}\n`);
        }
        io.stdout.write(`\n${rules.length} rule${rules.length === 1 ? "" : "s"}. Details: aigis explain RULE_ID\n`);
      } else {
        throw new UsageError(`unknown format '${opts.format}' for rules (use text or json)`);
      }
      outcome.exitCode = 0;
    });
}
