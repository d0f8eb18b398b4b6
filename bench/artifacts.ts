// Benchmark of the artifact scanner (npm run build && node dist/bench/artifacts.js).
//
// Inputs are generated under bench/.data/ (not committed) with Debian's /usr/bin/python3:
//  1. an opcode-dense pickle: 1.5 million small dicts, protocol 4 (about 56 MiB);
//  2. a 1 GiB PyTorch checkpoint: 32 float32 tensors of 4096 x 2048 (torch.save), skipped
//     with a notice when python3-torch is not installed.
// Each measurement runs in a fresh child process so its peak RSS is its own. The baseline,
// measured in the same run on the same file, is hashing it with node:crypto SHA-256.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { runScan } from "../src/core/run";
import { createRegistry } from "../src/core/registry";
import { SCANNERS } from "../src/scanners";

const ROOT = resolve(__dirname, "..", "..");
const DATA = join(ROOT, "bench", ".data");
const PYTHON = "/usr/bin/python3";

interface Measurement {
  seconds: number;
  /** CPU time (user + system) of the measured work: stable when other processes load the machine. */
  cpuSeconds: number;
  peakRssMiB: number;
  findings?: number;
  kind?: string;
}

const DICTS_SCRIPT = `
import pickle, sys
rows = [{"id": i, "tok": f"w{i%5000}", "score": i*0.5, "tags": (i%7, i%11)} for i in range(1_500_000)]
with open(sys.argv[1], "wb") as f:
    pickle.dump(rows, f, protocol=4)
`;

const TORCH_SCRIPT = `
import sys, torch
torch.manual_seed(0)
state = {f"layer{i}.weight": torch.randn(4096, 2048) for i in range(32)}
torch.save(state, sys.argv[1])
`;

function generate(path: string, script: string, what: string): boolean {
  if (existsSync(path)) return true;
  process.stdout.write(`generating ${what} -> ${path} ... `);
  try {
    execFileSync(PYTHON, ["-c", script, path], { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 20 });
    console.log("done");
    return true;
  } catch (e) {
    console.log(`skipped (${(e as Error).message.split("\n")[0]})`);
    return false;
  }
}

function hasTorch(): boolean {
  return spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
}

/** Runs one measurement in a child process of this script. */
function measure(mode: "scan" | "hash", file: string): Measurement {
  const r = spawnSync(process.execPath, [__filename, `--child-${mode}`, file], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Measurement;
}

async function childScan(file: string): Promise<void> {
  const rel = file.startsWith(ROOT) ? file.slice(ROOT.length + 1) : file;
  // Tool start-up (loading and validating the rule catalog, about 0.1 s) happens before the
  // clock starts, as module loading does for the hash baseline.
  const registry = createRegistry(SCANNERS);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { report } = await runScan({ paths: [rel], cwd: ROOT, jobs: 1 }, registry);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  const out: Measurement = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: process.resourceUsage().maxRSS / 1024, findings: report.findings.length, kind: report.targets[0]?.kind ?? "?" };
  console.log(JSON.stringify(out));
}

async function childHash(file: string): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise<void>((done, fail) => {
    const h = createHash("sha256");
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on("data", (c) => h.update(c))
      .on("error", fail)
      .on("end", () => {
        h.digest("hex");
        done();
      });
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: process.resourceUsage().maxRSS / 1024 } satisfies Measurement));
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

function report(title: string, file: string, runs: number): { scan: Measurement; hash: Measurement } {
  const bytes = statSync(file).size;
  // Best of `runs` for time; the page cache is warm after the first read of either.
  measure("hash", file);
  let scan: Measurement | undefined;
  let hash: Measurement | undefined;
  for (let k = 0; k < runs; k++) {
    const s = measure("scan", file);
    const h = measure("hash", file);
    if (!scan || s.seconds < scan.seconds) scan = { ...s, peakRssMiB: Math.max(s.peakRssMiB, scan?.peakRssMiB ?? 0) };
    if (!hash || h.seconds < hash.seconds) hash = h;
  }
  console.log(`\n${title}: ${file.slice(ROOT.length + 1)} (${mib(bytes)} MiB, kind ${scan!.kind}, ${scan!.findings} findings)`);
  console.log(`  aigis scan (SHA-256 included): ${scan!.seconds.toFixed(3)} s wall (${scan!.cpuSeconds.toFixed(3)} s CPU), ${mib(bytes / scan!.seconds)} MiB/s, peak RSS ${scan!.peakRssMiB.toFixed(0)} MiB`);
  console.log(`  node:crypto SHA-256 baseline:  ${hash!.seconds.toFixed(3)} s wall (${hash!.cpuSeconds.toFixed(3)} s CPU), ${mib(bytes / hash!.seconds)} MiB/s, peak RSS ${hash!.peakRssMiB.toFixed(0)} MiB`);
  console.log(`  ratio scan / hash: ${(scan!.seconds / hash!.seconds).toFixed(2)}x wall, ${(scan!.cpuSeconds / hash!.cpuSeconds).toFixed(2)}x CPU`);
  return { scan: scan!, hash: hash! };
}

async function main(): Promise<void> {
  const [flag, file] = process.argv.slice(2);
  if (flag === "--child-scan") return childScan(file!);
  if (flag === "--child-hash") return childHash(file!);

  mkdirSync(DATA, { recursive: true });
  console.log(`aigis artifact benchmark (load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${availableParallelism()} cores; wall times inflate under load, CPU times much less)`);
  const dicts = join(DATA, "dicts-1.5m-p4.pkl");
  if (!existsSync(PYTHON)) {
    console.log(`${PYTHON} not found: inputs cannot be generated; nothing measured.`);
    return;
  }
  if (generate(dicts, DICTS_SCRIPT, "1.5M-dict protocol-4 pickle")) {
    const r = report("Opcode-dense pickle", dicts, 3);
    console.log(`  targets: under 1 s -> ${r.scan.seconds < 1 ? "met" : "NOT met"} wall, ${r.scan.cpuSeconds < 1 ? "met" : "NOT met"} CPU; under 256 MiB peak RSS -> ${r.scan.peakRssMiB < 256 ? "met" : "NOT met"}`);
  }
  if (!hasTorch()) {
    console.log("\nPyTorch checkpoint: skipped, python3-torch is not installed.");
    return;
  }
  const ckpt = join(DATA, "checkpoint-1gib.pt");
  if (generate(ckpt, TORCH_SCRIPT, "1 GiB torch.save checkpoint")) {
    const r = report("1 GiB PyTorch checkpoint", ckpt, 3);
    console.log(`  target: within 1.3x of hashing -> ${r.scan.seconds / r.hash.seconds <= 1.3 ? "met" : "NOT met"}; memory flat: peak RSS ${r.scan.peakRssMiB.toFixed(0)} MiB for a ${mib(statSync(ckpt).size)} MiB file`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
