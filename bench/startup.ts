// Start-up cost: CPU time of `aigis --version` and of a scan of one small JSON file, next to
// `node -e 0` measured in the same run (target: --version within 0.15 s of CPU). Heavy
// libraries (TensorFlow.js, ONNX Runtime), node-forge, yaml and ajv's compiler must not load for
// either (the main thread's require.cache is shown; test/core/lazy-loading.test.ts checks workers too).
// CPU is the child's own user+system time (all threads), printed by a preload at exit.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dataPath, median } from "./_util";

const RUNS = 9;
const CLI = join(__dirname, "..", "bin", "aigis.js");

function cpuSeconds(args: string[]): { cpu: number; loaded: string[] } {
  const preload = dataPath("cpu-at-exit.js");
  writeFileSync(
    preload,
    `process.on("exit", () => { const u = process.cpuUsage(); const heavy = [...new Set(Object.keys(require.cache).map((k) => (/tfjs|onnxruntime|ort\\.node|node-forge|node_modules\\/yaml\\/|ajv\\/dist\\/compile/.exec(k) || [])[0]).filter(Boolean))]; require("fs").writeSync(2, "\\n@@" + JSON.stringify({ cpu: (u.user + u.system) / 1e6, heavy }) + "\\n"); });\n`,
  );
  const r = spawnSync(process.execPath, ["--require", preload, ...args], { encoding: "utf8" });
  const line = r.stderr.split("\n").find((l) => l.startsWith("@@"));
  if (!line) throw new Error(`no measurement from node ${args.join(" ")}: ${r.stderr}`);
  const { cpu, heavy } = JSON.parse(line.slice(2)) as { cpu: number; heavy: string[] };
  return { cpu, loaded: heavy };
}

function main(): void {
  const json = dataPath("small.json");
  writeFileSync(json, JSON.stringify({ name: "small", values: [1, 2, 3] }) + "\n");
  const cases: Array<[string, string[]]> = [
    ["node -e 0", ["-e", "0"]],
    ["aigis --version", [CLI, "--version"]],
    ["aigis scan small.json -q", [CLI, "scan", json, "-q", "--no-progress"]],
  ];
  const figures = new Map<string, number>();
  console.log(`CPU seconds (user+system), median of ${RUNS} runs`);
  for (const [name, args] of cases) {
    const samples: number[] = [];
    const heavy = new Set<string>();
    for (let i = 0; i < RUNS; i++) {
      const { cpu, loaded } = cpuSeconds(args);
      samples.push(cpu);
      for (const l of loaded) heavy.add(l);
    }
    figures.set(name, median(samples));
    console.log(`  ${name.padEnd(28)} ${median(samples).toFixed(3)} s${heavy.size > 0 ? `   loaded: ${[...heavy].join(", ")}` : ""}`);
  }
  const base = figures.get("node -e 0")!;
  for (const [name, s] of figures) if (name !== "node -e 0") console.log(`  ratio ${name} / node -e 0: ${(s / base).toFixed(2)}x, +${(s - base).toFixed(3)} s`);
  console.log(`  aigis --version: ${figures.get("aigis --version")! <= 0.15 ? "within" : "over"} the 0.15 s target`);
}

main();
