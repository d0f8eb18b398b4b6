// Flipped bits in real signatures (every CMS fixture, every model signing bundle): each one is a
// verdict or a finding, never a throw, a crash of `aigis verify`, or a scan that stops.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mulberry32 } from "../../../src/core/random";
import { verifyBundle } from "../../../src/scanners/protection/bundle";
import { verifyDetachedCms } from "../../../src/scanners/protection/cms";
import { protectionData } from "../../../src/scanners/protection/settings";
import { verifyArtifact } from "../../../src/scanners/protection/verify";
import { tlogKey } from "../../../src/scanners/protection/tlog";
import { loadLogKeys, loadTrustAnchors } from "../../../src/scanners/protection/x509";
import { runScan } from "../../../src/core/run";
import { runCli } from "../../helpers/cli";
import { FIXTURES, fixture, ROOT } from "./helpers";

const weak = protectionData().weakSignature;
const trust = loadTrustAnchors([`${FIXTURES}/pki/root-ca.pem`, `${FIXTURES}/pki/model-signing.pub.pem`], ROOT);
const STATUSES = ["valid", "invalid", "untrusted", "expired", "weak", "unverified"];
const CMS_CASES = readdirSync(fixture("signatures"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const BUNDLE_CASES = readdirSync(fixture("sigstore"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const FLIPS_PER_FILE = 60;

/** The base64 fields of a sigstore bundle's transparency-log entry that the mutation test flips. */
interface TlogEntry {
  canonicalizedBody: string;
  inclusionPromise: { signedEntryTimestamp: string };
  inclusionProof: { rootHash: string; hashes: string[]; checkpoint: { envelope: string } };
}

/** Copies of `bytes` with one bit flipped each, at seeded positions (deterministic). */
function mutants(bytes: Buffer, seed: number, count: number): Array<{ at: number; bytes: Buffer }> {
  const rnd = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const at = Math.floor(rnd() * bytes.length);
    const copy = Buffer.from(bytes);
    copy[at] = copy[at]! ^ (1 << Math.floor(rnd() * 8));
    return { at, bytes: copy };
  });
}

const signatureOf = (name: string): string => readdirSync(fixture("signatures", name)).find((f) => f !== "model.npy")!;

describe("bit flips in detached CMS signatures", () => {
  it.each(CMS_CASES)("%s: every mutant gets a verdict, most are not valid", async (name) => {
    const original = readFileSync(fixture("signatures", name, signatureOf(name)));
    let notValid = 0;
    for (const [i, m] of mutants(original, 17 + name.length, FLIPS_PER_FILE).entries()) {
      const v = await verifyDetachedCms(m.bytes, fixture("signatures", name, "model.npy"), trust, { now: new Date(), weak });
      expect([i, STATUSES.includes(v.status)]).toEqual([i, true]);
      expect(v.reasons.length).toBeGreaterThan(0);
      if (v.status !== "valid") notValid++;
    }
    // Almost every byte of a signature is covered by a signature or a digest.
    expect(notValid).toBeGreaterThan(FLIPS_PER_FILE / 2);
  });
});

describe("bit flips in model signing bundles", () => {
  it.each(BUNDLE_CASES)("%s", (name) => {
    const original = readFileSync(fixture("sigstore", name, "model.sig"));
    for (const m of mutants(original, 99 + name.length, FLIPS_PER_FILE)) {
      const v = verifyBundle(m.bytes.toString("utf8"), trust, { now: new Date(), weak });
      expect(STATUSES).toContain(v.status);
    }
  });
});

describe("bit flips in bundles with transparency-log entries", () => {
  const logs = loadLogKeys([`${FIXTURES}/rekor/log.pub.pem`], ROOT).map(tlogKey);
  const fulcio = loadTrustAnchors([`${FIXTURES}/rekor/fulcio-root.pem`], ROOT);
  it("every mutant of the good bundle gets a verdict; none in the log evidence or signature is valid", () => {
    const original = readFileSync(fixture("rekor", "good", "model.sigstore.json"), "utf8");
    const doc = JSON.parse(original) as { verificationMaterial: { tlogEntries: TlogEntry[] } };
    const entry = doc.verificationMaterial.tlogEntries[0]!;
    // Flip one character of each base64 field of the entry (past any padding-sensitive end).
    const fields: Array<[string, (e: TlogEntry) => { get: () => string; set: (v: string) => void }]> = [
      ["canonicalizedBody", (e) => ({ get: () => e.canonicalizedBody, set: (v) => (e.canonicalizedBody = v) })],
      ["signedEntryTimestamp", (e) => ({ get: () => e.inclusionPromise.signedEntryTimestamp, set: (v) => (e.inclusionPromise.signedEntryTimestamp = v) })],
      ["rootHash", (e) => ({ get: () => e.inclusionProof.rootHash, set: (v) => (e.inclusionProof.rootHash = v) })],
      ["hashes[0]", (e) => ({ get: () => e.inclusionProof.hashes[0]!, set: (v) => (e.inclusionProof.hashes[0] = v) })],
      ["checkpoint", (e) => ({ get: () => e.inclusionProof.checkpoint.envelope, set: (v) => (e.inclusionProof.checkpoint.envelope = v) })],
    ];
    for (const [name, access] of fields) {
      const copy = JSON.parse(JSON.stringify(doc)) as typeof doc;
      const f = access(copy.verificationMaterial.tlogEntries[0]!);
      const v0 = f.get();
      const at = Math.floor(v0.length / 3);
      f.set(`${v0.slice(0, at)}${v0[at] === "A" ? "B" : "A"}${v0.slice(at + 1)}`);
      const v = verifyBundle(JSON.stringify(copy), fulcio, { now: new Date(), weak, logs });
      expect([name, v.status]).toEqual([name, "invalid"]);
    }
    expect(entry).toBeDefined();
    for (const m of mutants(Buffer.from(original), 7, FLIPS_PER_FILE)) expect(STATUSES).toContain(verifyBundle(m.bytes.toString("utf8"), fulcio, { now: new Date(), weak, logs }).status);
  });
});

describe("malformed signatures through aigis verify and aigis scan", () => {
  let dir: string;
  const cases: string[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "aigis-mutants-"));
    const original = readFileSync(fixture("signatures", "good", "model.npy.p7s"));
    // Positions in the certificate (ASN.1 lengths: "Too few bytes") and in the signer info ("decode error").
    const positions = [1, 3, 20, 40, 200, 400, 700, 900, original.length - 300, original.length - 5];
    for (const at of positions) {
      const name = `m${at}`;
      mkdirSync(join(dir, name));
      const copy = Buffer.from(original);
      copy[at] = copy[at]! ^ 0x01;
      writeFileSync(join(dir, name, "model.npy.p7s"), copy);
      copyFileSync(fixture("signatures", "good", "model.npy"), join(dir, name, "model.npy"));
      cases.push(name);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("aigis verify answers 0 or 1 for each, never crashes", async () => {
    for (const name of cases) {
      const r = await verifyArtifact({ artifact: `${name}/model.npy`, signature: `${name}/model.npy.p7s`, trustAnchors: [join(ROOT, FIXTURES, "pki/root-ca.pem")], cwd: dir });
      expect(STATUSES).toContain(r.status);
      const cli = await runCli(["verify", `${name}/model.npy`, "--signature", `${name}/model.npy.p7s`, "--trust-anchor", join(ROOT, FIXTURES, "pki/root-ca.pem")], { cwd: dir });
      expect([name, [0, 1].includes(cli.code)]).toEqual([name, true]);
    }
  });

  it("a scan of every mutant completes, and each broken one is a signature-invalid or parse-error finding", async () => {
    const { report } = await runScan({ paths: ["."], cwd: dir, jobs: 1, hints: { trustAnchors: [join(ROOT, FIXTURES, "pki/root-ca.pem")] } });
    for (const name of cases) {
      const t = report.targets.find((x) => x.uri === `${name}/model.npy`)!;
      expect(t.signature).toBeDefined();
      if (t.signature!.status === "invalid") {
        const ids = report.findings.filter((f) => f.location.uri.startsWith(`${name}/`)).map((f) => f.ruleId);
        expect(ids).toContain("protection/signature-invalid");
      }
    }
    expect(report.findings.filter((f) => /could not finish/.test(f.message))).toEqual([]);
  });
});
