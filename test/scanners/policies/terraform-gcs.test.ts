// GCS IAM resources in a Terraform plan (fixtures/policies/gcs/risky/tfplan-gcs-public.json,
// written by make_fixtures.py in the `terraform show -json` layout): read like JSON policies,
// each finding naming its resource and pointing inside it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runScan } from "../../../src/core/run";
import type { Report } from "../../../src/types";

const ROOT = join(__dirname, "..", "..", "..", "fixtures", "policies");
const FILE = "gcs/risky/tfplan-gcs-public.json";
let report: Report;
const lines = readFileSync(join(ROOT, FILE), "utf8").split("\n");

beforeAll(async () => {
  report = (await runScan({ paths: [FILE], cwd: ROOT, jobs: 1 })).report;
});

it("reads google_storage_bucket_iam_member, _binding and _policy, each address once", () => {
  const byRule = (id: string) => report.findings.filter((f) => f.ruleId === id);
  const pub = byRule("policy/gcs-public-member");
  // planned_values and resource_changes both carry each resource: one finding per member, not two.
  expect(pub.map((f) => [f.evidence?.member, f.severity]).sort()).toEqual([["allAuthenticatedUsers", "critical"], ["allUsers", "high"]]);
  const allUsers = pub.find((f) => f.evidence?.member === "allUsers")!;
  const allAuth = pub.find((f) => f.evidence?.member === "allAuthenticatedUsers")!;
  expect(allUsers.message).toContain("Terraform resource google_storage_bucket_iam_member.public_models (bucket acme-released-models) gives allUsers");
  expect(allAuth.message).toContain("google_storage_bucket_iam_binding.uploaders");
  // Each member's line is inside the first copy of its resource (planned_values).
  expect(lines[allUsers.location.line! - 1]).toContain('"member": "allUsers"');
  expect(lines[allAuth.location.line! - 1]).toContain('"allAuthenticatedUsers"');
  const editor = byRule("policy/gcs-primitive-role");
  expect(editor).toHaveLength(1);
  expect(editor[0]!.message).toContain("google_storage_bucket_iam_policy.scratch");
  expect(lines[editor[0]!.location.line! - 1]).toContain('"policy_data"');
});
