// A release pipeline names the model file, not its signature: every signature verdict must be
// the same whether the folder or the model file is scanned, and signing must never gate
// worse than not signing when no trust anchor is configured.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../../src/core/run";
import type { Finding, Report } from "../../../src/types";
import { runCli } from "../../helpers/cli";
import { ANCHORS, FIXTURES, fixture, ROOT, scan, target } from "./helpers";

const CMS_CASES = readdirSync(fixture("signatures"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const BUNDLE_CASES = readdirSync(fixture("sigstore"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

/** The findings a signature produces, without what depends on the scan's scope (fingerprints do not). */
const signatureFindings = (report: Report): Array<Pick<Finding, "ruleId" | "severity" | "message"> & { uri: string }> =>
  report.findings
    .filter((f) => /^protection\/(signature-|weak-signature|missing-signature|integrity-mismatch)/.test(f.ruleId))
    .map((f) => ({ ruleId: f.ruleId, severity: f.severity, message: f.message, uri: f.location.uri }));

describe.each([
  ["with trust anchors", ANCHORS],
  ["without trust anchors", [] as string[]],
])("every signature verdict is the same for the folder and for the model file, %s", (_label, anchors) => {
  const hints = anchors.length ? { hints: { trustAnchors: anchors } } : {};

  it.each(CMS_CASES)("detached CMS: %s", async (name) => {
    const model = `${FIXTURES}/signatures/${name}/model.npy`;
    const folder = await scan([`${FIXTURES}/signatures/${name}`], hints);
    const file = await scan([model], hints);
    expect(file.targets.map((t) => t.uri)).toEqual([model]);
    expect(target(file, model).signature).toEqual(target(folder, model).signature);
    expect(target(file, model).signature?.status).toBeDefined();
    expect(signatureFindings(file)).toEqual(signatureFindings(folder));
  });

  it.each(BUNDLE_CASES)("model signing bundle over a folder: %s", async (name) => {
    const weights = `${FIXTURES}/sigstore/${name}/model/weights.npy`;
    const folder = await scan([`${FIXTURES}/sigstore/${name}`], hints);
    const file = await scan([weights], hints);
    expect(target(file, weights).signature).toEqual(target(folder, weights).signature);
    expect(target(file, weights).signature?.signatureUri).toBe(`${FIXTURES}/sigstore/${name}/model.sig`);
    // Findings about the scanned file and the bundle itself agree; the folder scan may add other files.
    const scoped = (r: Report) => signatureFindings(r).filter((f) => f.uri === weights || f.uri.endsWith("model.sig"));
    expect(scoped(file)).toEqual(scoped(folder));
  });
});

describe("signature files are protection artifacts", () => {
  it("a scanned .p7s, .sig or bundle has a signature kind and is never an unsupported format", async () => {
    const report = await scan([`${FIXTURES}/signatures`, `${FIXTURES}/sigstore/good`]);
    const p7s = report.targets.filter((t) => /\.(p7s|sig)$/.test(t.uri));
    expect(p7s.length).toBeGreaterThan(CMS_CASES.length);
    for (const t of p7s) expect(["cms-signature", "sigstore-bundle"]).toContain(t.kind);
    expect(report.findings.filter((f) => f.ruleId === "aigis/unsupported-format")).toEqual([]);
    expect(report.findings.filter((f) => f.ruleId === "aigis/parse-error")).toEqual([]);
  });

  it("a detached signature is found beside the artifact although include globs do not match it", async () => {
    const report = await scan([`${FIXTURES}/signatures/good`], { include: ["*.npy"], hints: { trustAnchors: ANCHORS } });
    expect(report.targets.map((t) => t.uri)).toEqual([`${FIXTURES}/signatures/good/model.npy`]);
    expect(target(report, `${FIXTURES}/signatures/good/model.npy`).signature).toMatchObject({ status: "valid", signatureUri: `${FIXTURES}/signatures/good/model.npy.p7s` });
  });

  it("without anchors a signature that verifies is recorded as unverified with its signer, and raises no finding", async () => {
    const model = `${FIXTURES}/signatures/good/model.npy`;
    const report = await scan([model]);
    expect(target(report, model).signature).toMatchObject({ status: "unverified", signer: expect.stringMatching(/\S/), signatureUri: `${model}.p7s` });
    expect(signatureFindings(report)).toEqual([]);
  });
});

describe("signing never gates worse than not signing without trust anchors", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "aigis-signed-"));
    for (const name of CMS_CASES) {
      if (name === "tampered") continue; // content modified after signing: a real finding, see below
      mkdirSync(join(dir, name));
      const sig = readdirSync(fixture("signatures", name)).find((f) => f !== "model.npy")!;
      copyFileSync(fixture("signatures", name, "model.npy"), join(dir, name, "model.npy"));
      copyFileSync(fixture("signatures", name, sig), join(dir, name, sig));
    }
    mkdirSync(join(dir, "unsigned"));
    copyFileSync(fixture("plain", "model.npy"), join(dir, "unsigned", "model.npy"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(["high", "medium", "low"])("--fail-on %s: unsigned exits 0 and so does every signed copy", async (failOn) => {
    const unsigned = await runCli(["scan", "unsigned/model.npy", "--fail-on", failOn, "-f", "json"], { cwd: dir });
    expect(unsigned.code).toBe(0);
    for (const name of CMS_CASES.filter((n) => n !== "tampered")) {
      const signed = await runCli(["scan", `${name}/model.npy`, "--fail-on", failOn, "-f", "json"], { cwd: dir });
      const report = JSON.parse(signed.stdout) as Report;
      expect([name, signed.code]).toEqual([name, 0]);
      expect(report.targets[0]!.signature?.status).toBe("unverified");
    }
  });

  it("a signature whose content was modified after signing still fails the gate without anchors", async () => {
    const run = await runCli(["scan", `${FIXTURES}/signatures/tampered/model.npy`, "-f", "json"], { cwd: ROOT });
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as Report).findings.map((f) => f.ruleId)).toContain("protection/signature-invalid");
  });

  it("with anchors, a signer outside them is untrusted (high) and gates", async () => {
    const run = await runCli(["scan", `${FIXTURES}/signatures/unknown-ca/model.npy`, "--trust-anchor", ANCHORS[0]!, "-f", "json"], { cwd: ROOT });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.targets[0]!.signature?.status).toBe("untrusted");
    expect(report.findings.find((f) => f.ruleId === "protection/signature-untrusted")?.severity).toBe("high");
  });
});

describe("a signed SHA256SUMS manifest", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "aigis-signed-manifest-"));
    mkdirSync(join(dir, "release"));
    copyFileSync(fixture("manifests", "ok", "SHA256SUMS"), join(dir, "release", "SHA256SUMS"));
    for (const f of readdirSync(fixture("manifests", "ok"))) if (f !== "SHA256SUMS") copyFileSync(fixture("manifests", "ok", f), join(dir, "release", f));
    // A real CMS signature, but over another file (the fixture model): the manifest's own .p7s must be
    // looked up and found not to match, as the model's would be.
    copyFileSync(fixture("signatures", "good", "model.npy.p7s"), join(dir, "release", "SHA256SUMS.p7s"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("its detached signature is looked up and judged like any other", async () => {
    const { report } = await runScan({ paths: ["release/SHA256SUMS"], cwd: dir, jobs: 1, hints: { trustAnchors: ANCHORS.map((a) => join(ROOT, a)) } });
    expect(report.targets[0]!.signature).toMatchObject({ status: "invalid", signatureUri: "release/SHA256SUMS.p7s" });
    expect(report.findings.map((f) => f.ruleId)).toContain("protection/signature-invalid");
  });
});
