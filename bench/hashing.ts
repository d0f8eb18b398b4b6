// Discovery + sniffing + hashing of a 1 GiB file against node:crypto hashing the same file,
// both measured in this run in fresh processes (issue: within 1.3x, memory flat).
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync, openSync, statSync, writeSync, closeSync } from "node:fs";
import { runScan } from "../src/core/run";
import { childResult, dataPath, measureChild, median } from "./_util";

const SIZE = 1024 ** 3;

async function child(mode: string, file: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  if (mode === "crypto") {
    await new Promise<void>((resolve, reject) => {
      const h = createHash("sha256");
      createReadStream(file, { highWaterMark: 1 << 20 })
        .on("data", (c) => h.update(c))
        .on("end", () => {
          h.digest("hex");
          resolve();
        })
        .on("error", reject);
    });
  } else {
    const { report } = await runScan({ paths: [file], cwd: process.cwd(), jobs: 1 });
    if (!report.targets[0]?.sha256) throw new Error("no hash");
  }
  process.stdout.write(childResult(Number(process.hrtime.bigint() - t0) / 1e9) + "\n");
}

function makeInput(file: string): void {
  if (existsSync(file) && statSync(file).size === SIZE) return;
  // Incompressible content, so the file behaves like real weights on disk.
  const fd = openSync(file, "w");
  const chunk = randomBytes(16 << 20);
  for (let written = 0; written < SIZE; written += chunk.length) writeSync(fd, chunk);
  closeSync(fd);
}

async function main(): Promise<void> {
  const [, , mode, file] = process.argv;
  if (mode && file) return child(mode, file);
  const input = dataPath("random-1GiB.bin");
  makeInput(input);
  measureChild(__filename, ["crypto", input]); // warm the page cache
  const crypto: number[] = [];
  const aigis: number[] = [];
  let cryptoRss = 0;
  let aigisRss = 0;
  for (let i = 0; i < 3; i++) {
    const c = measureChild(__filename, ["crypto", input]);
    const a = measureChild(__filename, ["aigis", input]);
    crypto.push(c.seconds);
    aigis.push(a.seconds);
    cryptoRss = Math.max(cryptoRss, c.maxRssMiB);
    aigisRss = Math.max(aigisRss, a.maxRssMiB);
  }
  const c = median(crypto);
  const a = median(aigis);
  const mib = SIZE / 1024 ** 2;
  console.log(`input: 1 GiB of random bytes (${input})`);
  console.log(`node:crypto sha256 stream: ${c.toFixed(2)} s (${(mib / c).toFixed(0)} MiB/s), peak RSS ${cryptoRss.toFixed(0)} MiB`);
  console.log(`aigis scan (discover, sniff, hash): ${a.toFixed(2)} s (${(mib / a).toFixed(0)} MiB/s), peak RSS ${aigisRss.toFixed(0)} MiB`);
  console.log(`ratio aigis/crypto time: ${(a / c).toFixed(2)}x (target <= 1.30x); memory ratio ${(aigisRss / cryptoRss).toFixed(2)}x`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
