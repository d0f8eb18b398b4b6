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
times = []
for _ in range(${REPEATS}):
    t = time.perf_counter(); robust = pgd(); times.append(time.perf_counter() - t)
print(json.dumps({"seconds": sorted(times)[len(times) // 2], "robustAccuracy": robust, "threads": torch.get_num_threads(), "torch": torch.__version__}))
`;

async function aigis(model: ProbeModel, data: Awaited<ReturnType<typeof loadProbeData>>): Promise<{ seconds: number; robustAccuracy: number }> {
  const preds = await predictLabels(model, data.x, data.n, 1024);
  const ctx: AttackContext = { model, data, clip: [0, 1], cleanCorrect: Uint8Array.from(preds, (p, i) => (p === data.labels[i] ? 1 : 0)), seed: 0, batchSize: 1024 };
  const spec = pgdSpec("linf", EPS, STEPS, REL_STEP, false);
  await runGradientAttack(ctx, spec);
  const times: number[] = [];
  let robustAccuracy = 0;
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    robustAccuracy = (await runGradientAttack(ctx, spec)).robustAccuracy;
    times.push((performance.now() - t) / 1000);
  }
  return { seconds: median(times), robustAccuracy };
}

function pytorch(threads: number): { seconds: number; robustAccuracy: number; threads: number; torch: string } | string {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return "absent (/usr/bin/python3 not found)";
  const script = dataPath("pgd_torch.py");
  writeFileSync(script, PYTHON);
  const r = spawnSync(python, [script, FIX, String(threads)], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) return `unavailable (${(r.stderr || r.error?.message || "failed").trim().split("\n").pop()})`;
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { seconds: number; robustAccuracy: number; threads: number; torch: string };
}

async function main(): Promise<void> {
  const backend = await initTf();
  const data = await loadProbeData(join(FIX, "digits_test.csv"));
  const ort = loadOnnxRuntime();
  console.log(`PGD-${STEPS} L-inf eps ${EPS} on the fixture CNN (8x8x1, ${data.n} test samples), median of ${REPEATS}; tfjs backend: ${backend}; ONNX Runtime: ${ort.name}`);
  const rows: Array<[string, number, number]> = [];
  for (const [name, load] of [
    ["aigis, tfjs layers copy", () => loadTfjsModel(join(FIX, "cnn_tfjs"))],
    ["aigis, ONNX copy (translated)", () => loadOnnxModel(join(FIX, "cnn.onnx"))],
  ] as const) {
    const model = await load();
    const r = await aigis(model, data);
    rows.push([name, r.seconds, r.robustAccuracy]);
    model.dispose();
  }
  for (const [name, s, acc] of rows) console.log(`  ${name.padEnd(34)} ${s.toFixed(3)} s   robust accuracy ${acc.toFixed(3)}`);
  const baselines: Array<[string, number]> = [];
  for (const threads of [1, 2]) {
    const t = pytorch(threads);
    if (typeof t === "string") {
      console.log(`  PyTorch CPU: ${t}; no ratio printed`);
      break;
    }
    console.log(`  ${`PyTorch ${t.torch} CPU, ${t.threads} thread${t.threads === 1 ? "" : "s"}`.padEnd(34)} ${t.seconds.toFixed(3)} s   robust accuracy ${t.robustAccuracy.toFixed(3)}`);
    baselines.push([`${t.threads} thread${t.threads === 1 ? "" : "s"}`, t.seconds]);
  }
  for (const [label, s] of baselines) {
    for (const [name, mine] of rows) console.log(`  ratio ${name} / PyTorch ${label}: ${(mine / s).toFixed(2)}x (target <= 3x)`);
  }
  tf.disposeVariables();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
