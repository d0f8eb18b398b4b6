// aigis verify ARTIFACT --signature FILE --trust-anchor PEM...: one explicit signature check.
import { Command } from "commander";
import { verifyArtifact } from "../../scanners/protection/verify";
import { visibleControls } from "../../reporters/safe-text";
import type { CliIO, CommandOutcome } from "../io";

const EXAMPLES = `
Examples:
  $ aigis verify model.pt --signature model.pt.p7s --trust-anchor release-ca.pem
  $ aigis verify models/bert/ --signature bert.sig --trust-anchor signer.pub.pem --format json

The signature is a detached CMS / PKCS#7 signature (DER or PEM) of ARTIFACT, or an
OpenSSF model signing bundle (Sigstore bundle, DSSE, in-toto) over the folder ARTIFACT,
verified offline. Trust anchors are PEM certificates or public keys.

Exit codes: 0 valid (or weak with --allow-weak), 1 invalid, untrusted, expired or weak,
2 usage or I/O error.`;

const collect = (value: string, prior: string[] | undefined): string[] => [...(prior ?? []), value];

export function register(program: Command, io: CliIO, outcome: CommandOutcome): void {
  const cmd = new Command("verify")
    .description("verify an artifact against a detached CMS signature or a model signing bundle, offline")
    .argument("<artifact>", "the signed file, or the model folder a signing bundle covers")
    .requiredOption("-s, --signature <file>", "detached signature (.p7s/.sig, DER or PEM) or model signing bundle (JSON)")
    .option("--trust-anchor <pem>", "trusted root certificate or public key, PEM (repeatable)", collect)
    .option("--tlog-key <pem>", "transparency-log (Rekor) public key, PEM, to verify a Sigstore bundle's log entry offline (repeatable)", collect)
    .option("-f, --format <format>", "text or json", "text")
    .option("--allow-weak", "exit 0 for signatures that verify with weak cryptography")
    .addHelpText("after", EXAMPLES);
  cmd.action(async (artifact: string, opts: { signature: string; trustAnchor?: string[]; tlogKey?: string[]; format: string; allowWeak?: boolean }) => {
    if (opts.format !== "text" && opts.format !== "json") {
      io.stderr.write(`aigis verify: unknown --format '${opts.format}' (use text or json)\n`);
      outcome.exitCode = 2;
      return;
    }
    const result = await verifyArtifact({ artifact, signature: opts.signature, trustAnchors: opts.trustAnchor ?? [], transparencyLogKeys: opts.tlogKey ?? [], cwd: io.cwd });
    if (opts.format === "json") {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      // Names and signer strings come from the files checked: control characters are shown, never sent to the terminal.
      const show = visibleControls;
      io.stdout.write(`${show(result.artifact)}: ${result.status.toUpperCase()} (${result.type === "cms" ? "CMS signature" : "model signing bundle"} ${show(result.signature)}${result.signer ? `, signer ${show(result.signer)}` : ""})\n`);
      for (const r of result.reasons) io.stdout.write(`  - ${show(r)}\n`);
      for (const f of result.files ?? []) if (f.result !== "ok") io.stdout.write(`  ${f.result.padEnd(8)} ${show(f.name)}\n`);
    }
    outcome.exitCode = result.status === "valid" || (result.status === "weak" && opts.allowWeak === true) ? 0 : 1;
  });
  program.addCommand(cmd);
}
