// Encryption state of the same model stored in the clear, compressed, and encrypted by each
// tool (fixtures/protection/make_fixtures.sh), through the whole scan pipeline.
import { FIXTURES, scan, target } from "./helpers";

// Ground truth: which tool made each fixture (see make_fixtures.sh).
const ENCRYPTED: Record<string, string> = {
  "model.npy.age": "age",
  "model.npy.age.asc": "age",
  "model.npy.gpg": "openpgp",
  "model.npy.sym.asc": "openpgp",
  "model.npy.pk.gpg": "openpgp",
  "model.npy.pk.asc": "openpgp",
  "model.npy.enc": "openssl-enc",
  "model.npy.cms": "cms",
  "model.npy.cms.pem": "cms",
  "model.npy.jwe": "jwe",
  "model.npy.jwe.json": "jwe",
  "model-aes.zip": "zip-aes",
  "model-zipcrypto.zip": "zipcrypto",
};
const COMPRESSED: Record<string, string> = {
  "model.npy.gz": "gzip",
  "model.npy.bz2": "bzip2",
  "model.npy.xz": "xz",
  "model.npy.zst": "zstd",
  "model-deflate.zip": "zip",
};

describe("protection state of real files", () => {
  let report: Awaited<ReturnType<typeof scan>>;
  beforeAll(async () => {
    report = await scan([`${FIXTURES}/encrypted`, `${FIXTURES}/compressed`, `${FIXTURES}/plain`, `${FIXTURES}/random`]);
  });

  it.each(Object.entries(ENCRYPTED))("%s is encrypted with %s", (name, scheme) => {
    expect(target(report, `${FIXTURES}/encrypted/${name}`).protection).toEqual({ state: "encrypted", scheme });
  });

  it.each(Object.entries(COMPRESSED))("%s is compressed (%s), not encrypted", (name, scheme) => {
    expect(target(report, `${FIXTURES}/compressed/${name}`).protection).toEqual({ state: "compressed", scheme });
  });

  it("a zip of stored entries and the model itself are plaintext", () => {
    expect(target(report, `${FIXTURES}/compressed/model-stored.zip`).protection).toEqual({ state: "plaintext" });
    expect(target(report, `${FIXTURES}/plain/model.npy`).protection).toEqual({ state: "plaintext" });
    expect(target(report, `${FIXTURES}/plain/people.csv`).protection).toEqual({ state: "plaintext" });
  });

  it("random bytes with no format are unknown-high-entropy, never encrypted", () => {
    expect(target(report, `${FIXTURES}/random/noise.bin`).protection).toEqual({ state: "unknown-high-entropy" });
  });

  it("PEM CMS EnvelopedData is sniffed as cms-enveloped, not as a signature", () => {
    expect(target(report, `${FIXTURES}/encrypted/model.npy.cms.pem`).kind).toBe("cms-enveloped");
  });

  it("records a state for every target and raises no finding without a policy", () => {
    expect(report.targets.every((t) => t.protection !== undefined)).toBe(true);
    // File-mode findings depend on the checkout's umask; they are tested in personal-data.test.ts.
    expect(report.findings.filter((f) => f.ruleId.startsWith("protection/") && !f.ruleId.startsWith("protection/world-"))).toEqual([]);
  });
});
