// The policy corpus through the real pipeline: every risky file raises exactly its expected
// rules at medium or above, every safe file none, and findings point at the right lines.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { runScan, severityAtLeast } from "../../../src/core/run";
import type { Finding, Report } from "../../../src/types";

const ROOT = join(__dirname, "..", "..", "..", "fixtures", "policies");
const expected = JSON.parse(readFileSync(join(ROOT, "expected.json"), "utf8")) as { files: Record<string, string[]> };
const NOT_FIXTURES = new Set(["README.md", "expected.json", "make_fixtures.py"]);

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [relative(ROOT, p).split("\\").join("/")];
  });
}

/** 1-based line of the first line matching the pattern. */
function lineOf(file: string, pattern: RegExp): number {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const i = lines.findIndex((l) => pattern.test(l));
  if (i < 0) throw new Error(`${pattern} not in ${file}`);
  return i + 1;
}

let report: Report;
const at = (file: string): Finding[] => report.findings.filter((f) => f.location.uri === file);
const serious = (file: string): Finding[] => at(file).filter((f) => severityAtLeast(f.severity, "medium"));

beforeAll(async () => {
  report = (await runScan({ paths: ["."], cwd: ROOT, jobs: 1 })).report;
});

describe("policy corpus", () => {
  const fixtures = listFiles(ROOT).filter((f) => !NOT_FIXTURES.has(f));

  it("lists every fixture in expected.json and the README table", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(Object.keys(expected.files).sort()).toEqual(fixtures.sort());
    for (const f of fixtures) expect(readme).toContain(`| ${f} |`);
  });

  it("sniffs every fixture as a policy kind by content", () => {
    for (const f of fixtures) {
      const target = report.targets.find((t) => t.uri === f);
      const want = f.startsWith("gcs/") ? "gcs-iam-policy" : f.startsWith("k8s/") || f.endsWith(".yaml") && f.startsWith("malformed/") ? "k8s-rbac" : "iam-policy";
      expect({ f, kind: target?.kind }).toEqual({ f, kind: want });
    }
  });

  for (const [file, rules] of Object.entries(expected.files)) {
    const verdict = file.includes("/safe/") ? "safe" : file.includes("/risky/") ? "risky" : "malformed";
    it(`${verdict}: ${file} raises ${rules.length ? rules.join(", ") : "nothing"} at medium or above`, () => {
      const got = [...new Set(serious(file).map((f) => f.ruleId))].sort();
      expect(got).toEqual([...rules].sort());
      if (verdict !== "safe") expect(got.length).toBeGreaterThan(0);
      for (const f of at(file)) {
        expect(f.location.line).toBeGreaterThanOrEqual(1);
        expect(f.message).toMatch(/\.$/);
        expect(f.controls.length).toBeGreaterThan(0);
      }
    });
  }

  it("reports nothing on files outside the corpus list", () => {
    const listed = new Set(Object.keys(expected.files));
    expect(report.findings.filter((f) => !listed.has(f.location.uri))).toEqual([]);
  });

  it("points AWS findings at the statement that grants", () => {
    const read = at("aws/risky/bucket-public-read.json").find((f) => f.ruleId === "policy/aws-public-principal")!;
    expect(read.location.line).toBe(lineOf("aws/risky/bucket-public-read.json", /"Sid": "PublicReadModels"/) - 1);
    expect(read.message).toContain('Principal "*"');
    expect(read.message).toContain("s3:GetObject");
    expect(read.message).toContain("aws:PrincipalOrgID");

    const cfn = at("aws/risky/cfn-model-bucket.yaml");
    expect(cfn.find((f) => f.ruleId === "policy/aws-public-principal")!.location.line).toBe(lineOf("aws/risky/cfn-model-bucket.yaml", /- Sid: PublicModelDownload/));
    expect(cfn.find((f) => f.ruleId === "policy/aws-public-principal")!.message).toContain("of ModelBucketPolicy");
    expect(cfn.find((f) => f.ruleId === "policy/aws-service-wildcard")!.location.line).toBe(lineOf("aws/risky/cfn-model-bucket.yaml", /Action: "s3:\*"/) - 1);
    expect(cfn.find((f) => f.ruleId === "policy/aws-missing-secure-transport")!.location.line).toBe(lineOf("aws/risky/cfn-model-bucket.yaml", /^ {6}PolicyDocument:/));

    const tf = at("aws/risky/tfplan-public-bucket.json");
    expect(tf.filter((f) => f.ruleId === "policy/aws-public-write")).toHaveLength(1);
    expect(tf[0]!.location.line).toBe(lineOf("aws/risky/tfplan-public-bucket.json", /"policy": "\{.*AnyoneUploads/));
    expect(tf[0]!.message).toContain("aws_s3_bucket_policy.uploads");
  });

  it("explains why a condition does not narrow", () => {
    const f = at("aws/risky/bucket-vpce-ifexists.json")[0]!;
    expect(f.message).toContain("StringEqualsIfExists");
    expect(f.message).toContain(`line ${lineOf("aws/risky/bucket-vpce-ifexists.json", /"aws:SourceVpce"/)}`);
  });

  it("points GCS and Kubernetes findings at the member, rule, subject or roleRef", () => {
    const gcs = at("gcs/risky/bucket-all-auth-writer.yaml")[0]!;
    expect(gcs.location.line).toBe(lineOf("gcs/risky/bucket-all-auth-writer.yaml", /- allAuthenticatedUsers/));
    expect(gcs.severity).toBe("critical");
    const secrets = at("k8s/risky/secrets-reader.yaml").find((f) => f.ruleId === "policy/k8s-secrets-access")!;
    expect(secrets.location.line).toBe(lineOf("k8s/risky/secrets-reader.yaml", /resources: \["secrets"\]/) - 1);
    const anon = at("k8s/risky/anonymous-binding.yaml")[0]!;
    expect(anon.location.line).toBe(lineOf("k8s/risky/anonymous-binding.yaml", /name: system:unauthenticated/) - 2);
    expect(anon.severity).toBe("critical");
    const admin = at("k8s/risky/kubectl-list.yaml")[0]!;
    expect(admin.location.line).toBe(lineOf("k8s/risky/kubectl-list.yaml", /^ {2}roleRef:/));
    expect(admin.message).toContain("namespace kubeflow");
  });

  it("reports malformed files with line and column and keeps scanning", () => {
    const json = at("malformed/truncated-bucket-policy.json").find((f) => f.ruleId === "aigis/parse-error")!;
    const lines = readFileSync(join(ROOT, "malformed/truncated-bucket-policy.json"), "utf8").split("\n").length;
    expect(json.location.line).toBe(lines);
    expect(json.evidence).toMatchObject({ format: "json", line: lines, column: 1 });
    expect(json.message).toContain(`line ${lines}, column 1`);
    const yaml = at("malformed/bad-flow-rbac.yaml").find((f) => f.ruleId === "aigis/parse-error")!;
    expect(yaml.evidence).toMatchObject({ format: "yaml" });
    expect(yaml.location.line).toBeGreaterThanOrEqual(lineOf("malformed/bad-flow-rbac.yaml", /resources: \["secrets"$/));
    // The Deny that a truncated policy may have lost is not reported as missing.
    expect(at("malformed/truncated-bucket-policy.json").map((f) => f.ruleId)).not.toContain("policy/aws-missing-secure-transport");
  });
});
