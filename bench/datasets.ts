// Dataset scanner benchmark: 1,000,000 rows x 64 numeric features plus a label (CSV, about
// 400 MB) generated under bench/.data/, scanned end to end through runScan. Figures are
// printed against a baseline measured in the same run: the time to stream the file's bytes
// and count its lines. Targets (issue 4): under 60 s and under 2 GB peak RSS.
//
//   npm run build && node dist/bench/datasets.js [rows]

import { mulberry32 } from "../src/core/random";
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { runScan } from "../src/core/run";
import { packageRoot } from "../src/core/catalog";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const COLS = 64;
const CLASSES = 10;


async function generate(path: string): Promise<void> {
  const random = mulberry32(42);
  const gauss = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: CLASSES }, () => Array.from({ length: COLS }, () => gauss() * 2));
  const out = createWriteStream(path);
  const header = [...Array.from({ length: COLS }, (_, j) => `f${j}`), "label"].join(",") + "\n";
  out.write(header);
  let buf = "";
  for (let i = 0; i < ROWS; i++) {
    const c = Math.floor(random() * CLASSES);
    const centre = centres[c]!;
    let line = "";
    for (let j = 0; j < COLS; j++) line += (centre[j]! + gauss()).toFixed(3) + ",";
    buf += line + c + "\n";
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once("drain", () => r()));
      buf = "";
    }
  }
  out.write(buf);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

async function baselineRead(path: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    let at = chunk.indexOf(10);
    while (at >= 0) {
      lines++;
      at = chunk.indexOf(10, at + 1);
    }
  }
  if (lines < ROWS) throw new Error(`expected ${ROWS} lines, read ${lines}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const dir = join(root, "bench", ".data");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `datasets-${ROWS}x${COLS}.csv`);
  if (!existsSync(file)) {
    const t0 = Date.now();
    await generate(file);
    console.log(`generated ${file} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const bytes = statSync(file).size;
  const readSeconds = await baselineRead(file);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { report } = await runScan({ paths: [file], cwd: root, jobs: 1 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  const counts: Record<string, number> = {};
  for (const f of report.findings) counts[f.ruleId] = (counts[f.ruleId] ?? 0) + 1;
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(0);
  console.log(`datasets: ${ROWS} rows x ${COLS} features, ${mb(bytes)} MiB CSV`);
  console.log(`  baseline (stream the bytes, count lines): ${readSeconds.toFixed(2)} s`);
  console.log(`  full scan: ${seconds.toFixed(2)} s (${(seconds / readSeconds).toFixed(1)}x baseline), ${Math.round(ROWS / seconds).toLocaleString("en-US")} rows/s, ${(bytes / 1024 / 1024 / seconds).toFixed(1)} MiB/s`);
  console.log(`  CPU time of the scan: ${cpuSeconds.toFixed(2)} s (wall time is longer when other processes share the cores)`);
  console.log(`  peak RSS: ${mb(peak)} MiB (target < 2048 MiB); time target < 60 s: ${seconds < 60 ? "met" : "missed"}`);
  console.log(`  findings: ${JSON.stringify(counts)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
