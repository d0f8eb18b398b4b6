// Keyless-style Sigstore bundles verified fully offline (fixtures/protection/rekor, made by
// make_rekor.sh with openssl keys and a real RFC 6962 Merkle tree): inclusion proof, signed
// checkpoint, signed entry timestamp, certificate validity at the logged time.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyBundle } from "../../../src/scanners/protection/bundle";
import { protectionData } from "../../../src/scanners/protection/settings";
import { rootFromInclusionProof, tlogKey } from "../../../src/scanners/protection/tlog";
import { verifyArtifact } from "../../../src/scanners/protection/verify";
import { loadLogKeys, loadTrustAnchors } from "../../../src/scanners/protection/x509";
import { createHash } from "node:crypto";
import { runCli } from "../../helpers/cli";
import { FIXTURES, fixture, ROOT, scan, target } from "./helpers";

const R = `${FIXTURES}/rekor`;
const weak = protectionData().weakSignature;
const fulcio = loadTrustAnchors([`${R}/fulcio-root.pem`], ROOT);
const logs = loadLogKeys([`${R}/log.pub.pem`], ROOT).map(tlogKey);
const bundle = (c: string): string => readFileSync(fixture("rekor", c, "model.sigstore.json"), "utf8");
// Checked long after the 10-minute certificate expired: only the logged time can make it valid.
const now = new Date("2027-06-01T00:00:00Z");
const verify = (c: string, opts: { logs?: typeof logs; trust?: typeof fulcio } = {}) => verifyBundle(bundle(c), opts.trust ?? fulcio, { now, weak, logs: opts.logs ?? logs });

describe("Sigstore bundles with a transparency-log entry, offline", () => {
  it("good: proof, checkpoint and SET verify; the certificate is judged at the logged time", () => {
    const v = verify("good");
    expect(v.status).toBe("valid");
    expect(v.signer).toMatch(/release-bot@example.com/);
    expect(v.reasons.join()).toMatch(/inclusion proof to a signed checkpoint.*integrated at 2026-01-15T10:00:10.000Z \(signed entry timestamp\)/);
  });

  it("a flipped hash in the inclusion proof is invalid", () => {
    const v = verify("tampered-proof");
    expect(v.status).toBe("invalid");
    expect(v.reasons.join()).toMatch(/inclusion proof does not lead to the logged root hash/);
  });

  it("an integratedTime changed after the log signed it is invalid", () => {
    const v = verify("bad-set");
    expect(v.status).toBe("invalid");
    expect(v.reasons.join()).toMatch(/signed entry timestamp does not verify/);
  });

  it("an entry from a log that is not configured is untrusted", () => {
    const v = verify("wrong-log");
    expect(v.status).toBe("untrusted");
    expect(v.reasons.join()).toMatch(/not a configured transparency-log key/);
    // Configured, that log's entry verifies.
    expect(verify("wrong-log", { logs: loadLogKeys([`${R}/other-log.pub.pem`], ROOT).map(tlogKey) }).status).toBe("valid");
  });

  it("logged after the certificate expired is expired", () => {
    const v = verify("outside-validity");
    expect(v.status).toBe("expired");
    expect(v.reasons.join()).toMatch(/not valid at the logged time 2026-01-15T12:10:00/);
  });

  it("without a log key the entry is not checked and the best verdict is unverified", () => {
    for (const c of ["good", "tampered-proof", "bad-set"]) {
      const v = verify(c, { logs: [] });
      expect([c, v.status]).toEqual([c, "unverified"]);
      expect(v.reasons[0]).toMatch(/transparency-log entry was not verified: no log key is configured/);
    }
  });

  it("a payload changed after logging is invalid even when the DSSE signature is re-made by another key", () => {
    const b = JSON.parse(bundle("good")) as { dsseEnvelope: { payload: string } };
    b.dsseEnvelope.payload = Buffer.from("{}").toString("base64");
    expect(verifyBundle(JSON.stringify(b), fulcio, { now, weak, logs }).status).toBe("invalid");
  });

  it("the RFC 9162 proof check rejects a wrong index, size or path length", () => {
    const leaf = createHash("sha256").update("x").digest();
    expect(rootFromInclusionProof(0, 1, leaf, [])).toEqual(leaf);
    expect(rootFromInclusionProof(1, 1, leaf, [])).toBeUndefined();
    expect(rootFromInclusionProof(0, 2, leaf, [])).toBeUndefined();
    expect(rootFromInclusionProof(0, 1, leaf, [leaf])).toBeUndefined();
  });
});

describe("through aigis scan and aigis verify", () => {
  it("scanning one model file finds the folder's bundle and verifies the log entry", async () => {
    const weights = `${R}/good/model/weights.bin`;
    const report = await scan([weights], { hints: { trustAnchors: [`${R}/fulcio-root.pem`], transparencyLogKeys: [`${R}/log.pub.pem`] } });
    // The fixture's certificate expired in 2026; its validity is judged at the logged time, not now.
    expect(target(report, weights).signature).toMatchObject({ status: "valid", signatureUri: `${R}/good/model.sigstore.json` });
    const folder = await scan([`${R}/good`], { hints: { trustAnchors: [`${R}/fulcio-root.pem`], transparencyLogKeys: [`${R}/log.pub.pem`] } });
    expect(target(folder, weights).signature).toEqual(target(report, weights).signature);
  });

  it("aigis verify --tlog-key", async () => {
    const ok = await runCli(["verify", `${R}/good/model`, "--signature", `${R}/good/model.sigstore.json`, "--trust-anchor", `${R}/fulcio-root.pem`, "--tlog-key", `${R}/log.pub.pem`], { cwd: ROOT });
    expect(ok.code).toBe(0);
    const bad = await verifyArtifact({ artifact: `${R}/tampered-proof/model`, signature: `${R}/tampered-proof/model.sigstore.json`, trustAnchors: [`${R}/fulcio-root.pem`], transparencyLogKeys: [`${R}/log.pub.pem`], cwd: ROOT });
    expect(bad.status).toBe("invalid");
  });

  it("an unreadable log key is a usage error", async () => {
    await expect(scan([`${R}/good`], { hints: { transparencyLogKeys: ["no/such/log.pem"] } })).rejects.toThrow(/transparency-log key/);
  });
});

describe("message-signature bundles over one file (cosign sign-blob --bundle, sigstore sign)", () => {
  const model = `${R}/message/model.onnx`;
  const hints = { trustAnchors: [`${R}/fulcio-root.pem`], transparencyLogKeys: [`${R}/log.pub.pem`] };

  it("NAME.sigstore.json beside the file: digest, signature, hashedrekord entry and logged time verify", async () => {
    const report = await scan([model], { hints });
    expect(target(report, model).signature).toMatchObject({ status: "valid", signatureUri: `${model}.sigstore.json`, signer: expect.stringMatching(/release-bot@example.com/) });
    expect(target(report, model).signature?.reasons.join()).toMatch(/hashedrekord|inclusion proof to a signed checkpoint/);
    expect(report.findings.filter((f) => f.ruleId.startsWith("protection/signature"))).toEqual([]);
  });

  it("without anchors it is unverified; with anchors but no log key, unverified too", async () => {
    expect(target(await scan([model]), model).signature?.status).toBe("unverified");
    expect(target(await scan([model], { hints: { trustAnchors: hints.trustAnchors } }), model).signature?.status).toBe("unverified");
  });

  it("a modified file is invalid, through aigis verify too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigis-msg-"));
    try {
      writeFileSync(join(dir, "model.onnx"), "changed after signing\n");
      copyFileSync(fixture("rekor", "message", "model.onnx.sigstore.json"), join(dir, "model.onnx.sigstore.json"));
      const r = await verifyArtifact({ artifact: "model.onnx", signature: "model.onnx.sigstore.json", trustAnchors: [join(ROOT, R, "fulcio-root.pem")], transparencyLogKeys: [join(ROOT, R, "log.pub.pem")], cwd: dir });
      expect(r.status).toBe("invalid");
      expect(r.reasons.join()).toMatch(/differs from the signed message digest/);
      const ok = await verifyArtifact({ artifact: model, signature: `${model}.sigstore.json`, trustAnchors: hints.trustAnchors, transparencyLogKeys: hints.transparencyLogKeys, cwd: ROOT });
      expect(ok).toMatchObject({ status: "valid", type: "sigstore-message" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
