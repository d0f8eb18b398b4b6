// Every detached-signature verdict agrees with what `openssl cms -verify` said when the
// fixtures were made (recorded in fixtures/protection/signatures/openssl-verdicts.json).
import { readFileSync } from "node:fs";
import { verifyDetachedCms, type SignatureVerdict } from "../../../src/scanners/protection/cms";
import { protectionData } from "../../../src/scanners/protection/settings";
import { loadTrustAnchors } from "../../../src/scanners/protection/x509";
import { FIXTURES, fixture, ROOT, scan, target } from "./helpers";

interface OpensslVerdict {
  signature: string;
  opensslVerified: boolean;
  opensslError: string;
}
const verdicts = JSON.parse(readFileSync(fixture("signatures", "openssl-verdicts.json"), "utf8")) as Record<string, OpensslVerdict>;

/** The statuses consistent with openssl's answer: it accepts weak keys and digests at its default level. */
function expectedStatuses(v: OpensslVerdict): Array<SignatureVerdict["status"]> {
  if (v.opensslVerified) return ["valid", "weak"];
  if (/certificate has expired|not yet valid/.test(v.opensslError)) return ["expired"];
  if (/unable to get local issuer|self.signed|unsuitable certificate purpose|path length constraint exceeded|unable to verify/.test(v.opensslError)) return ["untrusted"];
  if (/verification failure|digest failure|signature failure/.test(v.opensslError)) return ["invalid"];
  throw new Error(`unmapped openssl error: ${v.opensslError}`);
}

const weak = protectionData().weakSignature;
const trust = loadTrustAnchors([`${FIXTURES}/pki/root-ca.pem`], ROOT);
const verify = (name: string, opts: { now?: Date; anchors?: typeof trust; sig?: Buffer } = {}): Promise<SignatureVerdict> => {
  const v = verdicts[name]!;
  return verifyDetachedCms(opts.sig ?? readFileSync(fixture("signatures", name, v.signature)), fixture("signatures", name, "model.npy"), opts.anchors ?? trust, { now: opts.now ?? new Date(), weak });
};

describe("detached CMS signatures agree with openssl cms -verify", () => {
  it("covers every signer the issue asks for", () => {
    expect(Object.keys(verdicts).sort()).toEqual(
      expect.arrayContaining(["good", "rsa1024", "expired", "unknown-ca", "sha1", "ecdsa-p256", "tampered"]),
    );
  });

  it.each(Object.keys(verdicts))("%s", async (name) => {
    const got = await verify(name);
    expect(expectedStatuses(verdicts[name]!)).toContain(got.status);
    expect(got.reasons.length).toBeGreaterThan(0);
  });

  it("calls RSA-1024 and SHA-1 weak, and the strong signers valid", async () => {
    expect((await verify("rsa1024")).reasons.join()).toMatch(/1024 bits/);
    expect((await verify("sha1")).reasons.join()).toMatch(/SHA1/);
    expect(await verify("sha1-certificate")).toMatchObject({ status: "weak", reasons: [expect.stringMatching(/signed with SHA1/)] });
    for (const name of ["good", "ecdsa-p256", "ecdsa-p384", "rsa-pss", "pem-sig", "intermediate"]) expect((await verify(name)).status).toBe("valid");
  });

  it("names the algorithms it checked", async () => {
    expect(await verify("ecdsa-p256")).toMatchObject({ signatureAlgorithm: expect.stringMatching(/ecdsa/i), key: "EC prime256v1", digestAlgorithm: "sha256" });
    expect(await verify("rsa-pss")).toMatchObject({ signatureAlgorithm: "RSA-PSS", key: "RSA-2048" });
  });

  it("a corrupted signature value is invalid although the content matches", async () => {
    const sig = Buffer.from(readFileSync(fixture("signatures", "good", "model.npy.p7s")));
    sig[sig.length - 10] = sig[sig.length - 10]! ^ 0xff; // inside the RSA signature, the last field
    const got = await verify("good", { sig });
    expect(got.status).toBe("invalid");
    expect(got.reasons.join()).toMatch(/does not verify/);
  });

  it("without trust anchors a signature that verifies is unverified (signer named), a tampered one still invalid", async () => {
    const none = { certificates: [], publicKeys: [], sources: [] };
    const good = await verify("good", { anchors: none });
    expect(good).toMatchObject({ status: "unverified", signer: expect.any(String) });
    expect(good.reasons[0]).toMatch(/verifies with the key of .*no trust anchor is configured/);
    // Chain and strength problems only matter once a signer is trusted: kept as reasons.
    for (const name of ["unknown-ca", "expired", "rsa1024", "sha1", "wrong-key-usage", "path-length", "ecdsa-p256", "rsa-pss"]) expect((await verify(name, { anchors: none })).status).toBe("unverified");
    expect((await verify("rsa1024", { anchors: none })).reasons.join()).toMatch(/once trusted, this would matter: RSA key of 1024 bits/);
    expect((await verify("tampered", { anchors: none })).status).toBe("invalid");
  });

  it("the good signature expires when checked after its certificate's end", async () => {
    const later = new Date(Date.now() + 40 * 365 * 24 * 3600 * 1000);
    expect((await verify("good", { now: later })).status).toBe("expired");
  });

  it("garbage is an invalid signature, not a crash", async () => {
    expect((await verify("good", { sig: Buffer.from("not a signature") })).status).toBe("invalid");
  });

  it("annotates the artifacts beside each signature in a scan and reports one finding per problem", async () => {
    const report = await scan([`${FIXTURES}/signatures`], { hints: { trustAnchors: [`${FIXTURES}/pki/root-ca.pem`] } });
    for (const name of Object.keys(verdicts)) {
      const t = target(report, `${FIXTURES}/signatures/${name}/model.npy`);
      expect(expectedStatuses(verdicts[name]!)).toContain(t.signature?.status);
      expect(t.signature?.signatureUri).toBe(`${FIXTURES}/signatures/${name}/${verdicts[name]!.signature}`);
    }
    const byRule = (id: string): string[] => report.findings.filter((f) => f.ruleId === id).map((f) => f.location.uri.split("/")[3]!).sort();
    expect(byRule("protection/signature-invalid")).toEqual(["tampered"]);
    expect(byRule("protection/signature-expired")).toEqual(["expired"]);
    expect(byRule("protection/signature-untrusted")).toEqual(["path-length", "unknown-ca", "wrong-key-usage"]);
    expect(byRule("protection/weak-signature")).toEqual(["rsa1024", "sha1", "sha1-certificate"]);
    expect(report.findings.find((f) => f.ruleId === "protection/signature-invalid")?.severity).toBe("critical");
  });
});
