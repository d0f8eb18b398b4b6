// One YAML library; alias and merge-key bombs are refused quickly, in policies and in aigis's own files.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSuppressions } from "../../src/core/suppressions";
import { parseYamlData } from "../../src/core/yaml";
import { parseYamlSource } from "../../src/scanners/policies/source";
import { tempDir, scanPaths } from "./helpers";

/** About 1 KB: nine levels, each merging and referencing the previous one nine times (9^9 nodes expanded). */
function mergeKeyBomb(): string {
  const lines = ["l0: &l0 {a: 1, b: 2}"];
  for (let i = 1; i < 10; i++) {
    const refs = Array.from({ length: 9 }, (_, j) => `k${j}: *l${i - 1}`).join(", ");
    lines.push(`l${i}: &l${i} {<<: *l${i - 1}, ${refs}}`);
  }
  lines.push("Resources:", "  Bucket:", "    Type: AWS::S3::BucketPolicy", "    Properties:", "      PolicyDocument:", "        Statement:", "          - Effect: Allow", '            Principal: "*"', "            Action: s3:GetObject", "            Resource: *l9");
  return lines.join("\n") + "\n";
}

const cpuMs = (fn: () => void): number => {
  const t = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
};

describe("YAML bombs", () => {
  it("the policy parser refuses a 1 KB merge-key bomb within a second of CPU (it took 9-22 s)", () => {
    const text = mergeKeyBomb();
    expect(text.length).toBeLessThan(1300);
    let error: Error | undefined;
    const ms = cpuMs(() => {
      try {
        parseYamlSource(text);
      } catch (e) {
        error = e as Error;
      }
    });
    expect(error?.message).toMatch(/more than 500000 YAML nodes/);
    expect(ms).toBeLessThan(1500);
  });

  it("aliases still resolve to the last anchor of their name before them", () => {
    const doc = parseYamlSource("a: &x 1\nb: *x\nc: &x 2\nd: *x\n").documents[0]!;
    expect(doc.type === "object" && doc.entries.map((e) => (e.value.type === "scalar" ? e.value.value : undefined))).toEqual([1, 1, 2, 2]);
  });

  it("config and suppressions files refuse alias bombs instead of expanding them", () => {
    expect(() => parseYamlData(mergeKeyBomb())).toThrow(/alias/i);
    expect(() => parseSuppressions(mergeKeyBomb(), ".aigis-suppressions.yaml")).toThrow(/alias/i);
    // Dates stay strings, as the suppression schema wants.
    expect(parseYamlData("expires: 2026-01-01\n")).toEqual({ expires: "2026-01-01" });
  });

  it("a policy file that is a merge-key bomb gets a finding, quickly", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "template.yaml"), `AWSTemplateFormatVersion: "2010-09-09"\n${mergeKeyBomb()}`);
    const report = await scanPaths([dir], dir);
    expect(report.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining([expect.stringMatching(/^aigis\/(limit-exceeded|parse-error)$/)]));
  });
});
