// Signature files scanned themselves: their own kinds, their structure checked, never
// "unsupported format"; a broken one is an aigis/parse-error naming why.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScan } from "../../../src/core/run";
import { signatureFileProblem } from "../../../src/scanners/protection/signature-files";
import { FIXTURES, fixture, scan } from "./helpers";

it("every signature, bundle, manifest and PEM fixture reads cleanly as its own kind", async () => {
  const report = await scan([`${FIXTURES}/signatures`, `${FIXTURES}/sigstore`, `${FIXTURES}/rekor`, `${FIXTURES}/pki`, `${FIXTURES}/manifests`]);
  const kinds = new Set(report.targets.filter((t) => /\.(p7s|sig|pem|sigstore\.json)$|SHA256SUMS$/.test(t.uri)).map((t) => t.kind));
  expect([...kinds].sort()).toEqual(["checksum-manifest", "cms-signature", "pem", "sigstore-bundle"]);
  // The signed payloads beside them are stand-ins (a text file named model.onnx is rightly a parse error); the signature files themselves read cleanly.
  const signatureFile = /\.(p7s|sig|pem|sigstore\.json|sigstore|bundle\.json)$|SHA256SUMS$/;
  expect(report.findings.filter((f) => signatureFile.test(f.location.uri) && (f.ruleId === "aigis/unsupported-format" || f.ruleId === "aigis/parse-error"))).toEqual([]);
});

describe("broken signature files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "aigis-sigfiles-"));
    const p7s = readFileSync(fixture("signatures", "good", "model.npy.p7s"));
    writeFileSync(join(dir, "cut.p7s"), p7s.subarray(0, 600));
    const bundle = readFileSync(fixture("sigstore", "good", "model.sig"), "utf8");
    writeFileSync(join(dir, "cut.sigstore.json"), bundle.slice(0, 300));
    const pem = readFileSync(fixture("rekor", "fulcio-root.pem"), "latin1");
    writeFileSync(join(dir, "broken.pem"), pem.replace(/\n[A-Za-z0-9+/]{64}\n/, "\n"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a truncated CMS signature, a bundle and a certificate are parse errors with the reason", async () => {
    const { report } = await runScan({ paths: ["."], cwd: dir, jobs: 1 });
    const errors = report.findings.filter((f) => f.ruleId === "aigis/parse-error").map((f) => [f.location.uri, f.evidence?.format]).sort();
    expect(errors).toEqual([["broken.pem", "PEM certificate"], ["cut.p7s", "CMS SignedData"]]);
    // A JSON bundle cut in the middle is not JSON any more, so it is not sniffed as a bundle.
    expect(report.targets.find((t) => t.uri === "cut.sigstore.json")?.kind).not.toBe("sigstore-bundle");
  });

  it("a bundle without verification material is named", () => {
    expect(signatureFileProblem("sigstore-bundle", Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{}}'))).toEqual({ format: "Sigstore bundle", reason: "verificationMaterial is missing" });
    expect(signatureFileProblem("checksum-manifest", Buffer.from("not a checksum\n"))).toMatchObject({ format: "SHA256SUMS manifest" });
  });
});
