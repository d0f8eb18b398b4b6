// Protection scanner costs against hashing the same file with node:crypto in the same run:
// the encryption-state test reads a bounded sample (cost must not grow with the file), and
// detached CMS verification streams the content once (should stay near 1x a SHA-256 pass).
// Inputs are generated under bench/.data/ (not committed). Run: node dist/bench/protection.js
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LIMITS } from "../src/core/rule";
import { DiskFile } from "../src/core/random-access";
import { HEAD_BYTES, sniffKind } from "../src/core/sniff";
import { builtinRegistry } from "../src/core/registry";
import { classifyProtection } from "../src/scanners/protection/classify";
import { verifyDetachedCms } from "../src/scanners/protection/cms";
import { protectionData } from "../src/scanners/protection/settings";
import { loadTrustAnchors } from "../src/scanners/protection/x509";

const DATA = join(__dirname, "..", "..", "bench", ".data", "protection");
const SIZES = [16 << 20, 256 << 20];

function makeFile(path: string, size: number): void {
  if (existsSync(path) && statSync(path).size === size) return;
  const fd = openSync(path, "w");
  const chunk = randomBytes(8 << 20);
  for (let w = 0; w < size; w += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, size - w));
  closeSync(fd);
}

function sha256(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path, { highWaterMark: 1 << 20 }).on("data", (c) => h.update(c)).on("end", () => resolve()).on("error", reject);
  });
}

async function time(fn: () => Promise<unknown>, runs = 3): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

function openssl(args: string[]): boolean {
  return spawnSync("openssl", args, { stdio: "ignore" }).status === 0;
}

async function main(): Promise<void> {
  mkdirSync(DATA, { recursive: true });
  const data = protectionData();
  const key = join(DATA, "key.pem");
  const cert = join(DATA, "cert.pem");
  const haveOpenssl = existsSync(cert) || openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=aigis bench", "-days", "30"]);
  console.log("protection bench (median of 3; ratio = time / SHA-256 of the same file in this run)");
  for (const size of SIZES) {
    const file = join(DATA, `random-${size >> 20}MiB.bin`);
    makeFile(file, size);
    const base = await time(() => sha256(file));
    const classify = await time(async () => {
      const f = await DiskFile.open(file);
      try {
        const head = await f.read(0, HEAD_BYTES);
        const kind = await sniffKind(head, f, builtinRegistry().detectors);
        const c = await classifyProtection({ uri: "x", absPath: file, kind, size: f.size, head, file: f }, data, DEFAULT_LIMITS);
        if (c.protection.state !== "unknown-high-entropy") throw new Error(`unexpected state ${c.protection.state}`);
      } finally {
        await f.close();
      }
    });
    console.log(`${size >> 20} MiB  sha256 ${base.toFixed(3)} s  | encryption state ${(classify * 1000).toFixed(2)} ms (${(classify / base).toFixed(4)}x)`);
    if (haveOpenssl) {
      const sig = `${file}.p7s`;
      if (!existsSync(sig)) openssl(["cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER", "-in", file, "-signer", cert, "-inkey", key, "-out", sig]);
      const trust = loadTrustAnchors([cert], DATA);
      const sigBytes = readFileSync(sig);
      const verify = await time(async () => {
        const v = await verifyDetachedCms(sigBytes, file, trust, { now: new Date(), weak: data.weakSignature });
        if (v.status !== "valid") throw new Error(`unexpected ${v.status}: ${v.reasons.join("; ")}`);
      });
      const t0 = process.hrtime.bigint();
      const ok = openssl(["cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", file, "-CAfile", cert, "-out", "/dev/null"]);
      const opensslSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(`${size >> 20} MiB  CMS verify ${verify.toFixed(3)} s (${(verify / base).toFixed(2)}x sha256)  | openssl cms -verify ${opensslSeconds.toFixed(3)} s (${ok ? "ok" : "failed"}, one run, includes process start)`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
