// The artifact scanner on fixtures/artifacts/evasion (made by make_evasion_fixtures.py with
// Debian's torch, scikit-learn, joblib, numpy, zip and 7z): allow-list-first verdicts on real
// checkpoints and advisory callables, FRAME tricks, pickles hidden in pickles, password zips, 7z.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Finding, Report, Severity } from "../../../src/types";
import { runScan } from "../../../src/core/run";

const DIR = resolve(__dirname, "../../../fixtures/artifacts/evasion");
interface Entry {
  technique: string;
  severity?: Severity;
  frameViolation?: boolean;
  nested?: string;
  encrypted?: string;
  callable?: string;
  rule?: string;
}
const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as Record<"malicious" | "benign" | "review", Record<string, Entry>>;
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const canaries = (): string[] => readdirSync("/tmp").filter((n) => n.startsWith("aigis-canary-"));

let report: Report;
let canariesBefore: string[];
beforeAll(async () => {
  canariesBefore = canaries();
  report = (await runScan({ paths: ["malicious", "benign", "review"], cwd: DIR, jobs: 1 })).report;
});
const findingsFor = (uri: string): Finding[] => report.findings.filter((f) => f.location.uri === uri);
const worst = (fs: Finding[]): number => Math.min(99, ...fs.filter((f) => !f.ruleId.startsWith("aigis/")).map((f) => RANK[f.severity]));

describe("malicious", () => {
  it.each(Object.entries(manifest.malicious))("%s (%s) gets its verdict", (name, e) => {
    const fs = findingsFor(`malicious/${name}`);
    expect({ name, worst: worst(fs) }).toEqual({ name, worst: RANK[e.severity!] });
    if (e.frameViolation) expect(fs.map((f) => f.ruleId)).toContain("artifact/pickle-frame-violation");
    if (e.nested && e.nested !== "raw") {
      // Decoded payloads are nested artifacts named after where the string is and how it was encoded.
      expect(fs.some((f) => f.ruleId === "artifact/pickle-code-execution" && (f.location.member ?? "").endsWith(`.${e.nested}.pkl`))).toBe(true);
    }
  });
});

describe("benign", () => {
  it.each(Object.entries(manifest.benign))("%s (%s) has nothing at high or above", (name, e) => {
    const fs = findingsFor(`benign/${name}`);
    expect(fs.filter((f) => RANK[f.severity] <= RANK.high).map((f) => f.message)).toEqual([]);
    expect(fs.filter((f) => f.ruleId === "aigis/parse-error").map((f) => f.message)).toEqual([]);
    if (e.encrypted) {
      // A protection state: said so, never a zip trick, never silence.
      expect(fs.map((f) => f.ruleId)).not.toContain("artifact/zip-inconsistent");
      const notice = fs.find((f) => f.ruleId === "aigis/unsupported-format");
      expect(notice?.message).toMatch(/password-protected|encrypted/);
    }
  });

  it("records password-protected zips as encrypted", () => {
    for (const name of ["zip-password-zipcrypto.zip", "zip-password-aes.zip"]) {
      expect(report.targets.find((t) => t.uri === `benign/${name}`)?.protection).toMatchObject({ state: "encrypted" });
    }
  });
});

describe("review", () => {
  it("a custom class from torch.save(model) is high, says what it is and how to allow it", () => {
    const f = findingsFor("review/torch-custom-class.pt").find((x) => x.ruleId === "artifact/pickle-unknown-import")!;
    expect(f.severity).toBe("high");
    expect(f.evidence).toMatchObject({ callable: "__main__.TinyNet", origin: "script", kind: "class" });
    expect(f.message).toContain("defined in the script that saved the file");
    expect(f.message).toContain("add `__main__.TinyNet` to `scanners.artifacts.pickleAllow`");
  });

  it.each(Object.entries(manifest.review).filter(([, e]) => e.rule))("%s (%s) is reported, not passed silently", (name, e) => {
    expect(findingsFor(`review/${name}`).map((f) => f.ruleId)).toContain(e.rule);
  });

  it("allowing the class in config clears it", async () => {
    const { report: allowed } = await runScan({ paths: ["review/torch-custom-class.pt"], cwd: DIR, jobs: 1, config: { scanners: { artifacts: { pickleAllow: ["__main__.TinyNet"] } } } });
    expect(allowed.findings.filter((f) => RANK[f.severity] <= RANK.medium)).toEqual([]);
  });
});

describe("every file", () => {
  it("has its kind recognised and no scanner crash", () => {
    const crashes = report.findings.filter((f) => /could not finish reading|stopped its worker/.test(f.message));
    expect(crashes.map((f) => f.message)).toEqual([]);
    const unreadable = new Set(Object.entries(manifest.review).filter(([, e]) => e.rule).map(([n]) => `review/${n}`));
    for (const t of report.targets.filter((x) => !unreadable.has(x.uri))) expect({ uri: t.uri, kind: t.kind }).toEqual({ uri: t.uri, kind: expect.not.stringMatching(/^(unknown|text)$/) });
  });

  it("recognises 7z archives and SavedModels that do not start with the schema version", () => {
    const kind = (uri: string) => report.targets.find((t) => t.uri === uri)?.kind;
    for (const name of ["malicious/savedmodel-no-version/saved_model.pb", "malicious/savedmodel-version-last/saved_model.pb", "benign/savedmodel-no-version/saved_model.pb"]) expect(kind(name)).toBe("tf-saved-model");
    for (const name of ["benign/checkpoint-lzma2.7z", "malicious/evil-pickle.7z", "benign/encrypted-headers.7z"]) expect(kind(name)).toBe("7z");
  });

  it("never runs a payload (no canary file appears)", () => {
    expect(canaries()).toEqual(canariesBefore);
  });
});
