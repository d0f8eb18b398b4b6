// `npm run fuzz [-- --seconds N --seed S --out DIR --mutant-seconds T --max-rss-mb M]`
//
// Seeded mutation fuzzing of the whole scan pipeline over every fixture kind. Each mutant is
// scanned in a child process; a mutant that makes the scan throw or kills the child (crash),
// takes longer than --mutant-seconds (hang) or raises the child's peak RSS above --max-rss-mb
// (memory) fails the run, and its bytes and the mutation that made it are written to --out
// as a reproducer. The same seed gives the same mutants, so a failure can be replayed.

import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { extname, join, relative, resolve } from "node:path";
import { collectSeeds, mutate, prng, type Seed } from "./engine";

interface Reply {
  id?: number;
  ready?: boolean;
  ok?: boolean;
  ms?: number;
  findings?: number;
  internalErrors?: string[];
  error?: string;
  peakRssMb?: number;
}

function arg(name: string, fallback: number | string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : String(fallback);
}

const root = resolve(__dirname, "../../..");
const fixturesDir = join(root, "fixtures");
const seconds = Number(arg("seconds", 60));
const seedValue = Number(arg("seed", 1));
const outDir = resolve(arg("out", join(root, "fuzz-out")));
const mutantSeconds = Number(arg("mutant-seconds", 60));
const maxRssMb = Number(arg("max-rss-mb", 1536));

function startChild(): Promise<ChildProcess> {
  return new Promise((ok) => {
    // The heap cap sits above the RSS limit so an over-limit scan is measured, not just killed.
    const child = fork(join(__dirname, "harness.js"), [], { execArgv: [`--max-old-space-size=${maxRssMb + 512}`], stdio: ["ignore", "ignore", "pipe", "ipc"] });
    child.stderr?.resume();
    child.once("message", () => ok(child));
  });
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const seeds = await collectSeeds(fixturesDir);
  const kinds = [...new Set(seeds.map((s) => s.kind))].sort();
  process.stdout.write(`aigis fuzz: seed ${seedValue}, ${seconds} s, ${seeds.length} seed files over ${kinds.length} kinds (${kinds.join(", ")})\n`);
  const rand = prng(seedValue);
  let child = await startChild();
  const deadline = Date.now() + seconds * 1000;
  const stats = { mutants: 0, failures: 0, internal: 0, maxMs: 0, maxRss: 0, byKind: new Map<string, number>() };
  const internalSeen = new Set<string>();
  const mutantPath = join(outDir, "current-mutant.bin");
  for (let n = 0; Date.now() < deadline; n++) {
    const seed: Seed = seeds[Math.floor(rand() * seeds.length)]!;
    const other = seeds[Math.floor(rand() * seeds.length)]!.bytes;
    const { bytes, ops } = mutate(seed.bytes, rand, other);
    writeFileSync(mutantPath, bytes);
    const reply = await new Promise<Reply | "hang" | "died">((done) => {
      const timer = setTimeout(() => done("hang"), mutantSeconds * 1000);
      const onExit = (): void => {
        clearTimeout(timer);
        done("died");
      };
      child.once("exit", onExit);
      child.once("message", (m: Reply) => {
        clearTimeout(timer);
        child.off("exit", onExit);
        done(m);
      });
      child.send({ id: n, mutantPath, seed: { path: seed.path, kind: seed.kind }, fixturesDir });
    });
    stats.mutants++;
    stats.byKind.set(seed.kind, (stats.byKind.get(seed.kind) ?? 0) + 1);
    let failure: string | undefined;
    let detail = "";
    if (reply === "hang" || reply === "died") {
      failure = reply === "hang" ? "hang" : "crash";
      detail = reply === "hang" ? `no report within ${mutantSeconds} s` : "the scanning process died (native abort or out of memory)";
      child.removeAllListeners();
      child.kill("SIGKILL");
      child = await startChild();
    } else if (!reply.ok) {
      failure = "crash";
      detail = reply.error ?? "unknown error";
    } else {
      stats.maxMs = Math.max(stats.maxMs, reply.ms ?? 0);
      stats.maxRss = Math.max(stats.maxRss, reply.peakRssMb ?? 0);
      if ((reply.peakRssMb ?? 0) > maxRssMb) {
        failure = "memory";
        detail = `peak RSS ${Math.round(reply.peakRssMb ?? 0)} MiB above ${maxRssMb} MiB`;
      }
      for (const t of reply.internalErrors ?? []) {
        stats.internal++;
        const key = t.replace(/[\d]+/g, "N").slice(0, 160);
        if (!internalSeen.has(key)) {
          internalSeen.add(key);
          process.stdout.write(`  internal error text in a finding (${seed.kind}, mutant ${n}): ${t.slice(0, 200)}\n`);
        }
      }
    }
    if (failure) {
      stats.failures++;
      const base = join(outDir, `${failure}-${seed.kind}-seed${seedValue}-${n}`);
      writeFileSync(`${base}${extname(seed.path) || ".bin"}`, bytes);
      writeFileSync(`${base}.json`, JSON.stringify({ failure, detail, seed: seedValue, mutant: n, seedFile: relative(root, seed.path), ops }, null, 2) + "\n");
      process.stdout.write(`  FAIL ${failure} (${seed.kind}, mutant ${n}): ${detail.split("\n")[0]} -> ${relative(process.cwd(), base)}.*\n`);
    }
  }
  child.kill();
  const perKind = [...stats.byKind].sort().map(([k, v]) => `${k} ${v}`).join(", ");
  process.stdout.write(
    `aigis fuzz: ${stats.mutants} mutants in ${seconds} s (${(stats.mutants / seconds).toFixed(1)}/s); ${stats.failures} failures; slowest ${Math.round(stats.maxMs)} ms; peak RSS ${Math.round(stats.maxRss)} MiB; ${stats.internal} findings with internal error text (${internalSeen.size} distinct)\n  per kind: ${perKind}\n`,
  );
  process.exitCode = stats.failures > 0 ? 1 : 0;
}

void main();
