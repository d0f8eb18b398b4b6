import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { BufferFile } from "../../src/core/random-access";
import { HEAD_BYTES, sniffKind } from "../../src/core/sniff";
import { builtinRegistry } from "../../src/core/registry";

const DEMO = join(__dirname, "..", "..", "fixtures", "demo");
const sniff = (buf: Buffer): Promise<string> => sniffKind(buf.subarray(0, HEAD_BYTES), new BufferFile(buf), builtinRegistry().detectors);

describe("sniffKind decides by content, not by name", () => {
  it.each([
    ["models/iris-mlp.pt", "pytorch-zip"],
    ["models/evil-model.pkl", "pickle"],
    ["models/iris-pipeline.pkl", "pickle"],
    ["data/iris.csv", "csv"],
    ["policies/model-bucket-policy.json", "iam-policy"],
  ])("%s is %s", async (file, kind) => {
    expect(await sniff(readFileSync(join(DEMO, file)))).toBe(kind);
  });

  it.each([
    ["protocol 0 pickle without PROTO", Buffer.from("cos\nsystem\n(S'touch /tmp/x'\ntR.", "latin1"), "pickle"],
    ["protocol 2 pickle", Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]), "pickle"],
    ["gzip", gzipSync(Buffer.from("hello")), "gzip"],
    ["numpy", Buffer.concat([Buffer.from("\x93NUMPY\x01\x00", "latin1"), Buffer.alloc(32)]), "numpy"],
    ["hdf5", Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]), "hdf5"],
    ["gguf", Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(32)]), "gguf"],
    ["age", Buffer.from("age-encryption.org/v1\n-> X25519 abc\n"), "age"],
    ["armored age", Buffer.from("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"), "age"],
    ["armored pgp", Buffer.from("-----BEGIN PGP MESSAGE-----\n\nhQ\n-----END PGP MESSAGE-----\n"), "openpgp"],
    ["openssl enc", Buffer.concat([Buffer.from("Salted__"), Buffer.alloc(24, 7)]), "openssl-enc"],
    ["pem", Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), "pem"],
    ["jsonl", Buffer.from('{"text":"a","label":1}\n{"text":"b","label":0}\n'), "jsonl"],
    ["tfjs model.json", Buffer.from(JSON.stringify({ modelTopology: {}, weightsManifest: [] })), "tfjs-model"],
    ["gcs iam", Buffer.from(JSON.stringify({ bindings: [{ role: "roles/storage.objectViewer", members: ["allUsers"] }] })), "gcs-iam-policy"],
    [
      "k8s rbac",
      Buffer.from("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\nrules:\n- verbs: ['*']\n"),
      "k8s-rbac",
    ],
    ["checksum manifest", Buffer.from(`${"a".repeat(64)}  model.pt\n${"b".repeat(64)}  data.csv\n`), "checksum-manifest"],
    ["plain text", Buffer.from("just some notes\nabout a model\n"), "text"],
    ["empty", Buffer.alloc(0), "unknown"],
  ])("%s", async (_name, buf, kind) => {
    expect(await sniff(buf)).toBe(kind);
  });

  it("does not take a one-line file longer than the head for a checksum manifest", async () => {
    const big = Buffer.from(`{"Version":"2012-10-17","Statement":${"[".repeat(40_000)}${"]".repeat(40_000)}}`);
    expect(big.length).toBeGreaterThan(HEAD_BYTES);
    expect(await sniff(big)).toBe("iam-policy");
    const cut = Buffer.from(`${"a".repeat(64)}  model.pt\n`.repeat(2000));
    expect(await sniff(cut)).toBe("checksum-manifest");
  });

  it("never calls random bytes a pickle, zip or text", async () => {
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 200; i++) {
      const buf = Buffer.from(Array.from({ length: 512 }, () => Math.floor(rand() * 256)));
      expect(["unknown", "openpgp", "onnx", "tf-saved-model"]).toContain(await sniff(buf));
      expect(await sniff(buf)).not.toBe("pickle");
    }
  });
});
