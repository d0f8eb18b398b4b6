// Model signing bundles and SHA256SUMS manifests on real fixture folders.
import { readFileSync } from "node:fs";
import { verifyBundle } from "../../../src/scanners/protection/bundle";
import { parseSha256Manifest } from "../../../src/scanners/protection/manifest";
import { protectionData } from "../../../src/scanners/protection/settings";
import { loadTrustAnchors } from "../../../src/scanners/protection/x509";
import { ANCHORS, FIXTURES, fixture, ROOT, scan, target } from "./helpers";

const weak = protectionData().weakSignature;
const keyTrust = loadTrustAnchors([`${FIXTURES}/pki/model-signing.pub.pem`], ROOT);

describe("OpenSSF model signing bundles", () => {
  const good = readFileSync(fixture("sigstore", "good", "model.sig"), "utf8");

  it("verifies the DSSE signature with the trusted key and lists every file's digest", () => {
    const v = verifyBundle(good, keyTrust, { now: new Date(), weak });
    expect(v.status).toBe("valid");
    expect(v.files?.map((f) => f.name).sort()).toEqual(["config.json", "tokenizer/vocab.json", "weights.npy"]);
  });

  it("is invalid when the signed payload is changed and the bundle names the trusted key", () => {
    const bundle = JSON.parse(good) as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8")) as { predicate: { resources: Array<{ digest: string }> } };
    statement.predicate.resources[0]!.digest = "0".repeat(64);
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
    expect(verifyBundle(JSON.stringify(bundle), keyTrust, { now: new Date(), weak }).status).toBe("invalid");
  });

  it("is unverified with no key configured, untrusted when signed by a key that is not trusted", () => {
    const none = verifyBundle(good, { certificates: [], publicKeys: [], sources: [] }, { now: new Date(), weak });
    expect(none.status).toBe("unverified");
    expect(none.reasons[0]).toMatch(/could not be checked.*no trust anchor is configured/);
    expect(verifyBundle(readFileSync(fixture("sigstore", "bad-signature", "model.sig"), "utf8"), keyTrust, { now: new Date(), weak }).status).toBe("untrusted");
  });

  it("re-hashes the model folders in a scan: tampered and extra files are findings", async () => {
    const report = await scan([`${FIXTURES}/sigstore`], { hints: { trustAnchors: ANCHORS } });
    const f = (id: string): string[] => report.findings.filter((x) => x.ruleId === id).map((x) => x.location.uri).sort();
    expect(f("protection/integrity-mismatch")).toEqual([`${FIXTURES}/sigstore/tampered/model/config.json`]);
    expect(f("protection/unlisted-file")).toEqual([`${FIXTURES}/sigstore/unlisted/model/extra.txt`]);
    expect(f("protection/signature-untrusted")).toEqual([`${FIXTURES}/sigstore/bad-signature/model.sig`]);
    expect(f("protection/signature-invalid")).toEqual([]);
    expect(target(report, `${FIXTURES}/sigstore/good/model/weights.npy`).signature).toMatchObject({ status: "valid", signatureUri: `${FIXTURES}/sigstore/good/model.sig` });
    expect(target(report, `${FIXTURES}/sigstore/tampered/model/config.json`).signature?.status).toBe("invalid");
    expect(target(report, `${FIXTURES}/sigstore/tampered/model/weights.npy`).signature?.status).toBe("valid");
  });
});

describe("SHA256SUMS manifests", () => {
  it("parses GNU text and binary lines and BSD tag lines", () => {
    const hex = "ab".repeat(32);
    const { entries, malformed } = parseSha256Manifest(`${hex}  a.bin\n${hex} *dir/b.bin\nSHA256 (c.bin) = ${hex.toUpperCase()}\n\nnonsense\n`);
    expect(entries.map((e) => [e.name, e.line])).toEqual([["a.bin", 1], ["dir/b.bin", 2], ["c.bin", 3]]);
    expect(entries.every((e) => e.sha256 === hex)).toBe(true);
    expect(malformed).toEqual([5]);
  });

  it("re-hashes every listed file: mismatches, missing and unlisted files are findings", async () => {
    const report = await scan([`${FIXTURES}/manifests`]);
    // File-mode findings depend on the checkout's umask; they are tested in personal-data.test.ts.
    const findings = report.findings.filter((x) => x.ruleId.startsWith("protection/") && !x.ruleId.startsWith("protection/world-"));
    const summary = findings.map((x) => [x.ruleId, x.location.uri, x.location.line ?? null]).sort();
    expect(summary).toEqual([
      ["protection/integrity-mismatch", `${FIXTURES}/manifests/bad/SHA256SUMS`, 3],
      ["protection/integrity-mismatch", `${FIXTURES}/manifests/bad/people.csv`, null],
      ["protection/unlisted-file", `${FIXTURES}/manifests/bad/notes.txt`, null],
    ]);
  });
});

describe("model signing bundles with a certificate", () => {
  const text = readFileSync(fixture("sigstore", "certificate", "model.sig"), "utf8");
  it("verifies when the certificate chains to a trusted CA, and is untrusted otherwise", () => {
    const ca = loadTrustAnchors([`${FIXTURES}/pki/root-ca.pem`], ROOT);
    expect(verifyBundle(text, ca, { now: new Date(), weak })).toMatchObject({ status: "valid", signer: "aigis fixture ecdsa", key: "EC prime256v1" });
    expect(verifyBundle(text, loadTrustAnchors([`${FIXTURES}/pki/unknown-ca.pem`], ROOT), { now: new Date(), weak }).status).toBe("untrusted");
  });
});
