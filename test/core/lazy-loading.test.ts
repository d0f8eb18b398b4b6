// Start-up guard rail: heavy or rarely needed libraries load only when a target needs them.
// Runs the built CLI (dist/, which `npm test` builds first) in a child process and reads, per
// thread, the packages in require.cache (test/core/lazy-loading/record-modules.js).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/temp";

const ROOT = join(__dirname, "..", "..");
const CLI = join(ROOT, "dist", "bin", "aigis.js");
const PRELOAD = join(__dirname, "lazy-loading", "record-modules.js");
const PREFIX = "aigis-lazy-";

/** Never needed for --version or a small JSON file: signatures, YAML, models, tables, images, ONNX. */
const HEAVY = ["node-forge", "yaml", "@tensorflow/tfjs-core", "onnxruntime-web", "onnxruntime-node", "onnxruntime-common", "hyparquet", "jsfive", "pngjs", "jpeg-js", "protobufjs", "@huggingface/jinja"];

interface Loaded {
  thread: string;
  packages: string[];
  /** Files under node_modules, "<package>/<path>". */
  files: string[];
}

function loadedBy(args: string[]): Loaded[] {
  const out = join(tempDir(PREFIX), "modules.jsonl");
  const run = spawnSync(process.execPath, ["--require", PRELOAD, CLI, ...args], { encoding: "utf8", env: { ...process.env, LAZY_OUT: out } });
  expect(run.status).toBe(0);
  return readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Loaded);
}

describe("lazy loading (built CLI)", () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
  });

  it("aigis --version loads commander and nothing else from node_modules", () => {
    expect(loadedBy(["--version"]).map((t) => ({ thread: t.thread, packages: t.packages }))).toEqual([{ thread: "main", packages: ["commander"] }]);
  });

  it("a scan of one small JSON file loads no signature, YAML, model, table or image library in any thread", () => {
    const dir = tempDir(PREFIX);
    writeFileSync(join(dir, "small.json"), JSON.stringify({ name: "small", values: [1, 2, 3] }) + "\n");
    const threads = loadedBy(["scan", join(dir, "small.json"), "-q", "--no-progress"]);
    expect(threads.map((t) => t.thread)).toContain("main");
    for (const t of threads) expect({ thread: t.thread, heavy: t.packages.filter((p) => HEAVY.includes(p)) }).toEqual({ thread: t.thread, heavy: [] });
    // Schemas are validated by the code `npm run build` generated (scripts/compile-schemas.js):
    // ajv's compiler never loads, only its small runtime helpers.
    for (const t of threads) expect({ thread: t.thread, compiler: t.files.filter((f) => /^ajv\/dist\/(ajv|core|compile\/)/.test(f) || f === "ajv-formats/dist/index.js") }).toEqual({ thread: t.thread, compiler: [] });
  });

  it("the same preload sees those libraries when a target needs them (the check can fail)", () => {
    const dir = tempDir(PREFIX);
    writeFileSync(join(dir, "deploy.yaml"), "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: all\nrules:\n  - apiGroups: ['*']\n    resources: ['*']\n    verbs: ['*']\n");
    const threads = loadedBy(["scan", join(dir, "deploy.yaml"), "-q", "--no-progress", "--fail-on", "none"]);
    expect(threads.some((t) => t.packages.includes("yaml"))).toBe(true);
    const signed = loadedBy(["scan", join(ROOT, "fixtures", "protection", "signatures"), "-q", "--no-progress", "--fail-on", "none"]);
    expect(signed.some((t) => t.packages.includes("node-forge"))).toBe(true);
  });
});
