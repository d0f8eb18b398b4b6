// PGD-20 (L-inf, eps 0.1) on the fixture CNN over the digits test split: aigis (tfjs, default
// backend: wasm unless tfjs-node is installed) next to PyTorch CPU on the same model, data and
// attack, measured in the same run through Debian's /usr/bin/python3 when it has torch and onnx.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initTf, tf } from "../src/probes/backend";
import { predictLabels, type AttackContext } from "../src/probes/attacks/common";
import { pgdSpec, runGradientAttack } from "../src/probes/attacks/gradient";
import { loadProbeData } from "../src/probes/data";
import { loadOnnxModel } from "../src/probes/loaders/onnx";
import { loadOnnxRuntime } from "../src/probes/onnx/runtime";
import { loadTfjsModel } from "../src/probes/loaders/tfjs";
import type { ProbeModel } from "../src/probes/model";
import { dataPath, median } from "./_util";

const ROOT = join(__dirname, "..", "..");
const FIX = join(ROOT, "fixtures", "models");
const EPS = 0.1;
const STEPS = 20;
const REL_STEP = 0.125;
const REPEATS = 3;

const PYTHON = `
import json, sys, time
import numpy as np, onnx, torch, torch.nn.functional as F
from onnx import numpy_helper
threads = int(sys.argv[2])
torch.set_num_threads(threads)
w = {i.name: torch.tensor(numpy_helper.to_array(i)) for i in onnx.load(sys.argv[1] + "/cnn.onnx").graph.initializer}
def model(x):
    x = F.max_pool2d(F.relu(F.conv2d(x, w["conv1.weight"], w["conv1.bias"], padding=1)), 2)
    x = F.max_pool2d(F.relu(F.conv2d(x, w["conv2.weight"], w["conv2.bias"], padding=1)), 2)
    return F.linear(torch.flatten(x, 1), w["fc.weight"], w["fc.bias"])
x = torch.tensor(np.load(sys.argv[1] + "/digits_test.npy")).reshape(-1, 1, 8, 8)
y = torch.tensor(np.load(sys.argv[1] + "/digits_test_labels.npy"))
eps, steps, step = ${EPS}, ${STEPS}, ${REL_STEP * EPS}
def pgd():
    correct = model(x).argmax(1) == y
    fooled = ~correct
    xa = x.clone()
    for _ in range(steps):
        xa.requires_grad_(True)
        logits = model(xa)
        fooled |= logits.argmax(1) != y
        g, = torch.autograd.grad(F.cross_entropy(logits, y, reduction="sum"), xa)
        with torch.no_grad():
            xa = torch.min(torch.max(xa + step * g.sign(), x - eps), x + eps).clamp(0, 1)
    with torch.no_grad():
        fooled |= model(xa).argmax(1) != y
    return (correct & ~fooled).float().mean().item()
pgd()
times, cpus = [], []
for _ in range(${REPEATS}):
    t, c = time.perf_counter(), time.process_time(); robust = pgd(); times.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
print(json.dumps({"seconds": sorted(times)[len(times) // 2], "cpuSeconds": sorted(cpus)[len(cpus) // 2], "robustAccuracy": robust, "threads": torch.get_num_threads(), "torch": torch.__version__}))
`;

interface Timing {
  /** Wall-clock seconds (median of the repeats). */
  seconds: number;
  /** CPU seconds of the process, all threads (median): the fair figure on a loaded machine. */
  cpuSeconds: number;
  robustAccuracy: number;
}

async function aigis(model: ProbeModel, data: Awaited<ReturnType<typeof loadProbeData>>): Promise<Timing> {
  const preds = await predictLabels(model, data.x, data.n, 1024);
  const ctx: AttackContext = { model, data, clip: [0, 1], cleanCorrect: Uint8Array.from(preds, (p, i) => (p === data.labels[i] ? 1 : 0)), seed: 0, batchSize: 1024 };
  const spec = pgdSpec("linf", EPS, STEPS, REL_STEP, false);
  await runGradientAttack(ctx, spec);
  const times: number[] = [];
  const cpus: number[] = [];
  let robustAccuracy = 0;
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    robustAccuracy = (await runGradientAttack(ctx, spec)).robustAccuracy;
    const used = process.cpuUsage(c);
    times.push((performance.now() - t) / 1000);
    cpus.push((used.user + used.system) / 1e6);
  }
  return { seconds: median(times), cpuSeconds: median(cpus), robustAccuracy };
}

function pytorch(threads: number): (Timing & { threads: number; torch: string }) | string {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return "absent (/usr/bin/python3 not found)";
  const script = dataPath("pgd_torch.py");
  writeFileSync(script, PYTHON);
  const r = spawnSync(python, [script, FIX, String(threads)], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) return `unavailable (${(r.stderr || r.error?.message || "failed").trim().split("\n").pop()})`;
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Timing & { threads: number; torch: string };
}

async function main(): Promise<void> {
  const backend = await initTf();
  const data = await loadProbeData(join(FIX, "digits_test.csv"));
  const ort = loadOnnxRuntime();
  // aigis runs one thread: tfjs's wasm backend has no multithreading under Node
  // (WASM_HAS_MULTITHREAD_SUPPORT is false there) and onnxruntime-web is created with one intra-op thread.
  const aigisThreads = backend === "wasm" && !tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? 1 : undefined;
  console.log(`PGD-${STEPS} L-inf eps ${EPS} on the fixture CNN (8x8x1, ${data.n} test samples), median of ${REPEATS}; tfjs backend: ${backend} (${aigisThreads ?? "?"} thread); ONNX Runtime: ${ort.name}`);
  const rows: Array<[string, Timing]> = [];
  for (const [name, load] of [
    ["aigis, tfjs layers copy", () => loadTfjsModel(join(FIX, "cnn_tfjs"))],
    ["aigis, ONNX copy (translated)", () => loadOnnxModel(join(FIX, "cnn.onnx"))],
  ] as const) {
    const model = await load();
    rows.push([name, await aigis(model, data)]);
    model.dispose();
  }
  const line = (name: string, t: Timing): string => `  ${name.padEnd(34)} ${t.seconds.toFixed(3)} s wall  ${t.cpuSeconds.toFixed(3)} s CPU   robust accuracy ${t.robustAccuracy.toFixed(3)}`;
  for (const [name, t] of rows) console.log(line(name, t));
  const baselines: Array<[number, Timing]> = [];
  for (const threads of [1, 2]) {
    const t = pytorch(threads);
    if (typeof t === "string") {
      console.log(`  PyTorch CPU: ${t}; no ratio printed`);
      break;
    }
    console.log(line(`PyTorch ${t.torch} CPU, ${t.threads} thread${t.threads === 1 ? "" : "s"}`, t));
    baselines.push([t.threads, t]);
  }
  // Same thread count: aigis (1 thread) against 1-thread PyTorch, on CPU time (wall time is
  // inflated by whatever else runs). Against 2-thread PyTorch on wall time: what a user waits.
  for (const [threads, b] of baselines) {
    for (const [name, mine] of rows) {
      const same = threads === aigisThreads;
      const ratio = same ? mine.cpuSeconds / b.cpuSeconds : mine.seconds / b.seconds;
      console.log(`  ratio ${name} / PyTorch ${threads} thread${threads === 1 ? "" : "s"} (${same ? "CPU time, same thread count" : "wall time"}): ${ratio.toFixed(2)}x${same ? " (target <= 3x)" : ""}`);
    }
  }
  tf.disposeVariables();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
