// AWS policy documents found in a file: bare IAM / bucket policies, the PolicyDocument,
// KeyPolicy and AssumeRolePolicyDocument of CloudFormation templates, and the policy JSON
// strings of Terraform plans. Each statement keeps the line it starts on.

import { EXPRESSION, field, isObject, items, parseJsonSource, str, strings, type SNode, type SObject } from "../source";

export interface AwsPrincipal {
  /** "*" for the bare string form; otherwise AWS, Service, Federated, CanonicalUser. */
  type: string;
  value: string;
}

export interface AwsCondition {
  /** As written, e.g. "ForAnyValue:StringEqualsIfExists". */
  operator: string;
  /** The operator without set prefix and IfExists suffix, e.g. "StringEquals". */
  base: string;
  ifExists: boolean;
  setOperator?: "ForAnyValue" | "ForAllValues";
  key: string;
  values: string[];
  line: number;
}

export interface AwsStatement {
  index: number;
  sid?: string;
  line: number;
  /** Where the statement sits, e.g. "Resources.ModelBucketPolicy.Properties.PolicyDocument.Statement[0]". */
  path: string;
  effect: "Allow" | "Deny" | "invalid";
  principal?: AwsPrincipal[];
  notPrincipal?: AwsPrincipal[];
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  conditions: AwsCondition[];
}

export interface AwsPolicy {
  path: string;
  line: number;
  /** CloudFormation logical id or Terraform address the policy belongs to, when known. */
  owner?: string;
  /** CloudFormation resource type or Terraform resource type of the owner, when known. */
  ownerType?: string;
  /** True when the policy was a JSON string inside the file (Terraform plans); lines then point at that string. */
  embedded: boolean;
  statements: AwsStatement[];
}

export interface AwsDocument {
  policies: AwsPolicy[];
  /** False when the file did not parse to the end: checks for something missing (a Deny) are then skipped. */
  complete: boolean;
}

function principals(n: SNode | undefined): AwsPrincipal[] | undefined {
  if (!n) return undefined;
  if (n.type === "scalar") return n.value === null ? [] : [{ type: "*", value: String(n.value) }];
  if (n.type === "array") return strings(n).map((value) => ({ type: "*", value }));
  const out: AwsPrincipal[] = [];
  for (const e of n.entries) {
    if (e.key.startsWith("Fn::")) {
      out.push({ type: "AWS", value: EXPRESSION });
      continue;
    }
    for (const value of strings(e.value)) out.push({ type: e.key, value });
  }
  return out;
}

function conditions(n: SNode | undefined): AwsCondition[] {
  if (!isObject(n)) return [];
  const out: AwsCondition[] = [];
  for (const op of n.entries) {
    if (!isObject(op.value)) continue;
    const m = /^(?:(ForAnyValue|ForAllValues):)?(.*?)(IfExists)?$/i.exec(op.key)!;
    const setPrefix = m[1]?.toLowerCase();
    for (const k of op.value.entries) {
      const cond: AwsCondition = {
        operator: op.key,
        base: m[2] ?? op.key,
        ifExists: m[3] !== undefined,
        key: k.key,
        values: strings(k.value),
        line: k.keyLine,
      };
      if (setPrefix === "foranyvalue") cond.setOperator = "ForAnyValue";
      else if (setPrefix === "forallvalues") cond.setOperator = "ForAllValues";
      out.push(cond);
    }
  }
  return out;
}

function optionalStrings(n: SNode | undefined): string[] | undefined {
  return n === undefined ? undefined : strings(n);
}

function statement(n: SNode, index: number, path: string, lineOverride: number | undefined): AwsStatement {
  const effect = (str(field(n, "Effect")) ?? "").toLowerCase();
  const st: AwsStatement = {
    index,
    line: lineOverride ?? n.line,
    path,
    effect: effect === "allow" ? "Allow" : effect === "deny" ? "Deny" : "invalid",
    conditions: conditions(field(n, "Condition")),
  };
  const sid = str(field(n, "Sid"));
  if (sid) st.sid = sid;
  const set = <K extends "principal" | "notPrincipal" | "actions" | "notActions" | "resources" | "notResources">(k: K, v: AwsStatement[K] | undefined): void => {
    if (v !== undefined) st[k] = v;
  };
  set("principal", principals(field(n, "Principal")));
  set("notPrincipal", principals(field(n, "NotPrincipal")));
  set("actions", optionalStrings(field(n, "Action")));
  set("notActions", optionalStrings(field(n, "NotAction")));
  set("resources", optionalStrings(field(n, "Resource")));
  set("notResources", optionalStrings(field(n, "NotResource")));
  if (lineOverride !== undefined) for (const c of st.conditions) c.line = lineOverride;
  return st;
}

function policyOf(n: SObject, path: string, owner: Owner, embedded: boolean, lineOverride: number | undefined, keyLine?: number): AwsPolicy {
  const stmts = items(field(n, "Statement"));
  const policy: AwsPolicy = {
    path,
    line: lineOverride ?? keyLine ?? n.line,
    embedded,
    statements: stmts.filter(isObject).map((s, i) => statement(s, i, `${path}${path ? "." : ""}Statement[${i}]`, lineOverride)),
  };
  if (owner.name) policy.owner = owner.name;
  if (owner.type) policy.ownerType = owner.type;
  return policy;
}

interface Owner {
  name?: string;
  type?: string;
}

function isPolicyObject(n: SObject): boolean {
  const st = field(n, "Statement");
  if (!st || st.type === "scalar") return false;
  return items(st).some((s) => isObject(s) && (field(s, "Effect") !== undefined || field(s, "Action") !== undefined));
}

/** Finds every policy in a parsed file. Policy JSON strings (Terraform plans) are parsed too, once per distinct text. */
export function extractAwsPolicies(roots: SNode[], complete = true): AwsDocument {
  const policies: AwsPolicy[] = [];
  const seenStrings = new Set<string>();
  // keyLine: the line of the key a value sits under (a YAML block map starts on the line after it).
  const walk = (n: SNode, path: string, owner: Owner, depth: number, keyLine?: number): void => {
    if (depth > 64) return;
    if (n.type === "scalar") {
      if (typeof n.value !== "string" || n.tag) return;
      const text = n.value.trim();
      if (!text.startsWith("{") || !text.includes("Statement") || seenStrings.has(text)) return;
      seenStrings.add(text);
      const inner = parseJsonSource(text);
      const root = inner.documents[0];
      if (inner.errors.length === 0 && isObject(root) && isPolicyObject(root)) policies.push(policyOf(root, path, owner, true, n.line));
      return;
    }
    if (n.type === "array") {
      n.items.forEach((c, i) => walk(c, `${path}[${i}]`, owner, depth + 1));
      return;
    }
    if (isPolicyObject(n)) {
      policies.push(policyOf(n, path, owner, false, undefined, keyLine));
      return;
    }
    let here = owner;
    // Terraform plan resources carry their address and type beside their values.
    const address = str(field(n, "address"));
    const tfType = str(field(n, "type"));
    if (address && tfType) here = { name: address, type: tfType };
    for (const e of n.entries) {
      let childOwner = here;
      // CloudFormation: Resources.<LogicalId>.Type names what the policy belongs to.
      if (path === "Resources" && isObject(e.value)) {
        const cfnType = str(field(e.value, "Type"));
        childOwner = cfnType ? { name: e.key, type: cfnType } : { name: e.key };
      }
      walk(e.value, path ? `${path}.${e.key}` : e.key, childOwner, depth + 1, e.keyLine);
    }
  };
  for (const r of roots) walk(r, "", {}, 0);
  return { policies, complete };
}
