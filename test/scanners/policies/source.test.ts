// Parsing with positions, sniffing policy files by content, masking identities.

import { mulberry32 } from "../../../src/core/random";
import { parseJsonSource, parseYamlSource, parseSource, field, strings, stripTemplateActions, type SNode } from "../../../src/scanners/policies/source";
import { policyScanner } from "../../../src/scanners/policies";
import { DEFAULT_LIMITS } from "../../../src/core/rule";
import { maskIdentity } from "../../../src/scanners/policies/mask";
import { readPolicyText } from "../../../src/scanners/policies";
import { sniffKind } from "../../../src/core/sniff";
import { builtinRegistry } from "../../../src/core/registry";
import { scanBytes } from "../../../src/core/scan-file";
import type { RandomAccessFile } from "../../../src/core/random-access";
import { readFileSync } from "node:fs";
import { join } from "node:path";

function memoryFile(bytes: Buffer): RandomAccessFile {
  return { size: bytes.length, read: async (offset: number, length: number) => bytes.subarray(offset, offset + length), close: async () => undefined } as unknown as RandomAccessFile;
}
const sniff = (text: string) => {
  const bytes = Buffer.from(text, "utf8");
  return sniffKind(bytes.subarray(0, 65536), memoryFile(bytes), builtinRegistry().detectors);
};

describe("position-aware parsing", () => {
  it("gives JSON keys and values their 1-based lines", () => {
    const { documents, errors } = parseJsonSource('{\n  "a": {\n    "b": [1,\n      "x"]\n  }\n}');
    expect(errors).toEqual([]);
    const a = field(documents[0], "a") as SNode;
    expect(a.line).toBe(2);
    const b = field(a, "b");
    expect(b?.type === "array" && b.items.map((i) => i.line)).toEqual([3, 4]);
  });

  it("reports JSON errors with line and column and keeps the partial tree", () => {
    const { documents, errors } = parseJsonSource('{\n  "Statement": [\n    {"Effect": "Allow" "Action": "*"}\n  ]\n}');
    expect(errors[0]).toMatchObject({ line: 3, column: 24, message: "comma expected" });
    expect(documents).toHaveLength(1);
  });

  it("rejects comments and trailing commas, which IAM does not accept", () => {
    expect(parseJsonSource('{"a": 1, // c\n}').errors.length).toBeGreaterThan(0);
    expect(parseJsonSource('{"a": [1,],}').errors.length).toBeGreaterThan(0);
  });

  it("reads every YAML document with lines across the stream", () => {
    const { documents, errors } = parseYamlSource("a: 1\n---\nb:\n  - x\n  - y\n");
    expect(errors).toEqual([]);
    expect(documents).toHaveLength(2);
    const b = field(documents[1], "b");
    expect(b?.type === "array" && b.items.map((i) => i.line)).toEqual([4, 5]);
  });

  it("keeps CloudFormation short-form tags as expressions", () => {
    const { documents, errors } = parseYamlSource('R: !Sub "arn:aws:s3:::${B}/*"\nL: !GetAtt [B, Arn]\nJ: !Join ["", [a, b]]\n');
    expect(errors).toEqual([]);
    expect(strings(field(documents[0], "R"))).toEqual(["arn:aws:s3:::${B}/*"]);
    expect(strings(field(documents[0], "J"))).toEqual(["<expression>"]);
  });

  it("reports YAML errors with line and column", () => {
    const { errors } = parseYamlSource("a:\n  b: [1, 2\nc: 3\n");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.line).toBeGreaterThanOrEqual(2);
    expect(errors[0]!.column).toBeGreaterThanOrEqual(1);
  });

  it("stops alias bombs at the node budget instead of expanding them", () => {
    let yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 9; i++) yaml += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
    expect(() => parseYamlSource(yaml)).toThrow(/nodes/);
  });

  it("chooses JSON or YAML by the first character, BOM included", () => {
    expect(parseSource('\uFEFF{"a": 1}').format).toBe("json");
    expect(parseSource("a: 1").format).toBe("yaml");
  });

  it("reads one statement object and string forms", () => {
    const doc = readPolicyText('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}', "iam-policy").aws!;
    const st = doc.policies[0]!.statements[0]!;
    expect(st).toMatchObject({ effect: "Allow", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"], principal: [{ type: "*", value: "*" }] });
  });

  it("reads each distinct Terraform policy string once", () => {
    const policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] });
    const plan = JSON.stringify({ planned_values: { r: [{ address: "a.b", type: "aws_iam_policy", values: { policy } }] }, resource_changes: [{ change: { after: { policy } } }] }, null, 2);
    const doc = readPolicyText(plan, "iam-policy").aws!;
    expect(doc.policies).toHaveLength(1);
    expect(doc.policies[0]).toMatchObject({ owner: "a.b", ownerType: "aws_iam_policy", embedded: true });
  });
});

/** The plain value of a tree, for comparison with JSON.parse. */
function plain(n: SNode): unknown {
  if (n.type === "scalar") return n.value;
  if (n.type === "array") return n.items.map(plain);
  const o: Record<string, unknown> = {};
  for (const e of n.entries) Object.defineProperty(o, e.key, { value: plain(e.value), enumerable: true, configurable: true, writable: true });
  return o;
}

/** Deterministic pseudo-random numbers, so failures reproduce. */
const rng = mulberry32;

describe("strict JSON parser agrees with JSON.parse", () => {
  const dir = join(__dirname, "..", "..", "..", "fixtures", "policies");
  const samples = ["aws/risky/bucket-public-read.json", "aws/safe/iam-least-privilege.json", "aws/risky/tfplan-public-bucket.json", "gcs/risky/bucket-primitive-editor.json", "k8s/risky/kubectl-get-json.json"].map((f) =>
    readFileSync(join(dir, f), "utf8"),
  );
  const extra = ['"a\\u00e9\\n\\"b"', "[1, -0.5e3, 2E+2, 0, true, false, null]", '{"a": 1, "a": 2}', "  \n[]\n", '{"k": "line\\ttab", "u": "\\ud83d\\ude00"}'];

  it("reads the same values from valid documents", () => {
    for (const text of [...samples, ...extra]) {
      const { documents, errors } = parseJsonSource(text);
      expect(errors).toEqual([]);
      expect(plain(documents[0]!)).toEqual(JSON.parse(text));
    }
  });

  it("rejects exactly what JSON.parse rejects, on 3,000 random mutations", () => {
    const next = rng(20261121);
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', "\\", " ", "\n", "a", "1", "-", ".", "e", "\u0001", "t"];
    let invalid = 0;
    for (let i = 0; i < 3000; i++) {
      let text = samples[i % samples.length]!;
      const at = Math.floor(next() * text.length);
      const op = next();
      if (op < 0.3) text = text.slice(0, at);
      else if (op < 0.65) text = text.slice(0, at) + text.slice(at + 1);
      else text = text.slice(0, at) + alphabet[Math.floor(next() * alphabet.length)]! + text.slice(at);
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const { documents, errors } = parseJsonSource(text);
      expect({ text, valid: errors.length === 0 }).toEqual({ text, valid });
      if (valid) expect(plain(documents[0]!)).toEqual(JSON.parse(text));
      else {
        invalid++;
        const lines = text.split("\n").length;
        expect(errors[0]!.line).toBeGreaterThanOrEqual(1);
        expect(errors[0]!.line).toBeLessThanOrEqual(lines);
      }
    }
    expect(invalid).toBeGreaterThan(1000);
  });

  it("keeps the tree read before an error", () => {
    const { documents, errors } = parseJsonSource('{"Statement": [{"Effect": "Allow", "Action": "*"}, {"Effect": "Deny", "Action": [');
    expect(errors[0]!.message).toContain("end of input");
    expect(plain(documents[0]!)).toEqual({ Statement: [{ Effect: "Allow", Action: "*" }, { Effect: "Deny", Action: [] }] });
  });

  it("refuses nesting deeper than 512 instead of overflowing the stack", () => {
    const { errors } = parseJsonSource("[".repeat(100_000));
    expect(errors[0]!.message).toContain("nesting");
  });
});

describe("sniffing policy files by content", () => {
  it.each([
    ["bare IAM JSON", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}', "iam-policy"],
    ["malformed IAM JSON", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow" "Action": "*"}]}', "iam-policy"],
    ["CloudFormation JSON KeyPolicy", '{"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}}}}}', "iam-policy"],
    ["Terraform assume_role_policy", JSON.stringify({ values: { assume_role_policy: '{"Statement": []}' } }), "iam-policy"],
    ["bare IAM YAML", 'Version: "2012-10-17"\nStatement:\n  - Effect: Allow\n    Action: "*"\n    Resource: "*"\n', "iam-policy"],
    ["CloudFormation YAML list item PolicyDocument", "Resources:\n  R:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Policies:\n        - PolicyDocument:\n            Statement:\n              - Effect: Allow\n", "iam-policy"],
    ["SAM inline Statement", "Resources:\n  F:\n    Properties:\n      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: s3:GetObject\n", "iam-policy"],
    ["get-account-authorization-details", JSON.stringify({ Policies: [{ PolicyVersionList: [{ Document: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }] }] }), "iam-policy"],
    ["GCS JSON", '{"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]}', "gcs-iam-policy"],
    ["GCS gcloud YAML", "bindings:\n- members:\n  - allUsers\n  role: roles/storage.objectViewer\netag: CAE=\n", "gcs-iam-policy"],
    ["malformed GCS JSON", '{"bindings": [{"role": "roles/storage.objectViewer" "members": []}]}', "gcs-iam-policy"],
    ["RBAC as kubectl JSON", '{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "x"}, "rules": []}', "k8s-rbac"],
    ["plain YAML config", "name: trainer\nepochs: 3\nStatement: none\n", "yaml"],
    ["plain JSON", '{"Statement": "a sentence", "n": 1}', "json"],
  ])("%s", async (_name, text, kind) => {
    expect(await sniff(text)).toBe(kind);
  });

  it("sniffs a Terraform plan larger than the 64 KiB head", async () => {
    const filler = Array.from({ length: 600 }, (_, i) => ({ address: `aws_instance.n${i}`, type: "aws_instance", values: { ami: "ami-0abcdef1234567890", tags: { Name: `node-${i}` } } }));
    const policy = { address: "aws_s3_bucket_policy.p", type: "aws_s3_bucket_policy", values: { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] }) } };
    const plan = JSON.stringify({ format_version: "1.2", terraform_version: "1.9.5", planned_values: { root_module: { resources: [policy, ...filler] } } }, null, 2);
    expect(plan.length).toBeGreaterThan(65536);
    expect(await sniff(plan)).toBe("iam-policy");
    const noIam = JSON.stringify({ format_version: "1.2", terraform_version: "1.9.5", planned_values: { root_module: { resources: filler } } }, null, 2);
    expect(await sniff(noIam)).toBe("json");
  });
});

describe("Helm templates", () => {
  const chart = '{{- if .Values.rbac.create }}\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {{ include "x.fullname" . }}\n  labels:\n    {{- include "x.labels" . | nindent 4 }}\nrules:\n- apiGroups: [""]\n  resources: ["secrets"]\n  verbs: [{{ .Values.verb | quote }}]\n{{- end }}\n';

  it("blanks template actions and keeps every line where it was", () => {
    const stripped = stripTemplateActions(chart);
    expect(stripped.split("\n")).toHaveLength(chart.split("\n").length);
    expect(stripped).not.toContain("{{");
    const doc = readPolicyText(chart, "k8s-rbac");
    expect(doc.parsed).toMatchObject({ templated: true, errors: [] });
    expect(doc.rbac!.objects[0]).toMatchObject({ kind: "Role", name: "(template)" });
    expect(doc.rbac!.objects[0]!.rules[0]).toMatchObject({ line: 9, verbs: ["(template)"] });
  });

  it("reports a template that stays unreadable as info, not as a defect", async () => {
    const text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\nrules:\n{{ toYaml .Values.rules |\n  nindent 2 }}\n";
    const bytes = Buffer.from(text);
    const settings = { limits: DEFAULT_LIMITS, hints: {}, scannerOptions: {} };
    const { findings: reports } = await scanBytes(builtinRegistry(), policyScanner, { uri: "chart/templates/role.yaml", kind: "k8s-rbac", bytes, settings });
    expect(reports.filter((f) => f.ruleId.startsWith("aigis/"))).toHaveLength(1);
    reports.sort((a, b) => (a.ruleId.startsWith("aigis/") ? -1 : 1) - (b.ruleId.startsWith("aigis/") ? -1 : 1));
    expect(reports[0]).toMatchObject({ ruleId: "aigis/parse-error", severity: "info" });
    expect(reports[0]!.message).toContain("Helm template");
  });

  it("does not mistake a template for JSON", () => {
    expect(parseSource('{{- if .Values.x }}\na: 1\n{{- end }}\n')).toMatchObject({ format: "yaml", templated: true, errors: [] });
  });
});

describe("masking identities", () => {
  it.each([
    ["user:alice@acme.example", "user:a***@acme.example"],
    ["deleted:user:bob@acme.example?uid=1", "deleted:user:b***@acme.example?uid=1"],
    ["arn:aws:iam::111122223333:user/ml/carol", "arn:aws:iam::111122223333:user/ml/c***"],
    ["dave@acme.example", "d***@acme.example"],
    ["serviceAccount:sa@p.iam.gserviceaccount.com", "serviceAccount:sa@p.iam.gserviceaccount.com"],
    ["arn:aws:iam::111122223333:role/trainer", "arn:aws:iam::111122223333:role/trainer"],
    ["system:anonymous", "system:anonymous"],
  ])("%s", (value, masked) => {
    expect(maskIdentity(value)).toBe(masked);
  });
});
