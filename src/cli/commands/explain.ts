import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { loadCatalog, packageRoot } from "../../core/catalog";
import { UsageError } from "../../core/errors";
import type { CliIO, CommandOutcome } from "../io";
import { useColor } from "../output";

/** Light terminal rendering of a docs page: bold headings, the rest as written. */
function renderMarkdown(md: string, color: boolean): string {
  if (!color) return md;
  return md
    .split("\n")
    .map((l) => (/^#{1,6} /.test(l) ? `\x1b[1m${l.replace(/^#{1,6} /, "")}\x1b[0m` : l.replace(/`([^`]+)`/g, "\x1b[36m$1\x1b[0m")))
    .join("\n");
}

export function register(program: Command, io: CliIO, outcome: CommandOutcome): void {
  program
    .command("explain")
    .description("show a rule's documentation: what it finds, why it matters, how to fix it")
    .argument("<rule-id>", "e.g. artifact/pickle-code-execution")
    .action((ruleId: string) => {
      const catalog = loadCatalog();
      const meta = catalog.rules.get(ruleId);
      if (!meta) {
        const close = [...catalog.rules.keys()].filter((id) => id.includes(ruleId) || ruleId.includes(id.split("/")[1] ?? id)).slice(0, 5);
        throw new UsageError(`unknown rule '${ruleId}'${close.length ? ` (did you mean ${close.join(", ")}?)` : "; list them with: aigis rules"}`);
      }
      const page = join(packageRoot(), "docs", "rules", `${ruleId.replace("/", "-")}.md`);
      const md = existsSync(page)
        ? readFileSync(page, "utf8")
        : `# ${meta.id}\n\n${meta.title} (${meta.severity})\n\n${meta.description}\n\n## How to fix\n\n${meta.remediation}\n`;
      const controls = meta.controls.map((c) => `  ${c}: ${catalog.controls.get(c)?.control.title ?? ""}`).join("\n");
      io.stdout.write(renderMarkdown(md, useColor(io)) + (md.includes("## Controls") ? "" : `\nControls:\n${controls}\n`));
      outcome.exitCode = 0;
    });
}
