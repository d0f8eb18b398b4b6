import { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { loadCatalog } from "../../core/catalog";
import { UsageError } from "../../core/errors";
import { loadReport } from "../../core/load-report";
import { mergeReports } from "../../core/merge";
import { buildEvidence, evidenceJson } from "../../compliance/evidence";
import { parseFrameworkIds } from "../../compliance";
import { loadSigningIdentity, signFiles } from "../../compliance/sign";
import { toHtml } from "../../reporters/html";
import { toCycloneDx } from "../../reporters/cyclonedx";
import { toEvidenceMarkdown } from "../../reporters/evidence-markdown";
import type { CliIO, CommandOutcome } from "../io";
import { collect, trackOutputs } from "../output";

const EVIDENCE_FORMATS = ["html", "markdown", "json", "cyclonedx"] as const;
type EvidenceFormat = (typeof EVIDENCE_FORMATS)[number];

const EXAMPLES = `
Examples:
  $ aigis report results.json -o evidence.html
  $ aigis report shard-*.json --framework gdpr,eu-ai-act -o evidence.html -o evidence.md
  $ aigis report results.sarif --format json --output evidence.json --sign-key key.pem --sign-cert cert.pem
  $ aigis report results.json -o aibom.cdx.json                 # CycloneDX 1.6 AI bill of materials

Control status: failed (a finding that counts maps to it), passed (a mapped rule ran over an
applicable artifact and nothing counts against it), not assessed (no mapped rule had an
applicable artifact). See docs/evidence.md.`;

export function register(program: Command, io: CliIO, outcome: CommandOutcome): void {
  const cmd = new Command("report")
    .description("turn scan results (JSON reports or SARIF logs) into compliance evidence: control status per framework, findings, artifacts, probes, accepted risks")
    .argument("<results...>", "aigis JSON reports or SARIF logs (several are merged, as aigis merge does)")
    .option("-f, --format <format>", "html, markdown, json or cyclonedx (repeatable; each pairs with the --output after it)")
    .option("-o, --output <file>", "write the preceding --format to FILE (or, alone, the format its extension names: .html .md .json .cdx.json)")
    .option("--framework <ids>", "frameworks to assess, comma-separated or repeated (default: all): gdpr, ccpa, eu-ai-act, mitre-atlas, owasp-ml-top10, nist-ai-rmf", collect)
    .option("--title <text>", "report title", "aigis compliance evidence")
    .option("--sign-key <pem>", "write a detached CMS signature FILE.p7s beside each output file, with this RSA private key")
    .option("--sign-cert <pem>", "the signer's certificate for --sign-key")
    .addHelpText("after", EXAMPLES);
  const outputs = trackOutputs(cmd);
  cmd.action((inputs: string[], opts: { framework?: string[]; title: string; signKey?: string; signCert?: string; format?: string; output?: string }) => {
    // Nothing asked for: markdown on stdout (scan's default, text, has no evidence form).
    const asked = opts.format === undefined && opts.output === undefined ? [{ format: "markdown" as const }] : outputs();
    const targets = asked.map((o) => {
      if (!(EVIDENCE_FORMATS as readonly string[]).includes(o.format)) throw new UsageError(`aigis report writes ${EVIDENCE_FORMATS.join(", ")}, not ${o.format} (use aigis merge for SARIF or scan reports)`);
      return { format: o.format as EvidenceFormat, path: "path" in o ? o.path : undefined };
    });
    const catalog = loadCatalog();
    const { ids, unknown } = parseFrameworkIds(opts.framework ?? [], catalog);
    if (unknown.length > 0) throw new UsageError(`unknown framework${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")} (use ${catalog.frameworks.map((f) => f.id).join(", ")})`);
    if ((opts.signKey === undefined) !== (opts.signCert === undefined)) throw new UsageError("--sign-key and --sign-cert go together");
    const signer = opts.signKey !== undefined ? loadSigningIdentity(opts.signKey, opts.signCert!, io.cwd) : undefined;
    if (signer && !targets.some((t) => t.path !== undefined)) throw new UsageError("--sign-key signs output files: add --output FILE");

    const { report, warnings } = mergeReports(inputs.map((p) => loadReport(p, io.cwd)));
    for (const w of warnings) io.stderr.write(`aigis: warning: ${w}\n`);
    const evidence = buildEvidence(report, catalog, { frameworks: ids, sources: inputs, title: opts.title });
    const written: string[] = [];
    for (const t of targets) {
      const text =
        t.format === "html"
          ? toHtml(evidence, catalog)
          : t.format === "markdown"
            ? toEvidenceMarkdown(evidence)
            : t.format === "cyclonedx"
              ? JSON.stringify(toCycloneDx(evidence.report, catalog), null, 2) + "\n"
              : JSON.stringify(evidenceJson(evidence), null, 2) + "\n";
      if (t.path === undefined) {
        io.stdout.write(text);
        continue;
      }
      const path = resolve(io.cwd, t.path);
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
      } catch (e) {
        throw new UsageError(`cannot write ${t.path}: ${(e as Error).message}`);
      }
      written.push(path);
    }
    if (signer) signFiles(written, signer);
    outcome.exitCode = 0;
  });
  program.addCommand(cmd);
}
