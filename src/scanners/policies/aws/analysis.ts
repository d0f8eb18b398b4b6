// What an AWS statement grants, to whom, and whether its conditions really narrow it.
// Matching follows IAM: action names are case-insensitive, `*` and `?` are wildcards,
// condition keys are case-insensitive, and conditions in one statement are ANDed.

import { loadRulesData } from "../../../core/catalog";
import { clip, EXPRESSION } from "../source";

export { clip };
import type { AwsCondition, AwsDocument, AwsPolicy, AwsPrincipal, AwsStatement } from "./model";

export interface AwsPolicyData {
  narrowingConditionKeys: string[];
  narrowingOperators: string[];
  publicWriteActions: string[];
  dataServices: string[];
  passRoleNarrowingKeys: string[];
  kmsDecryptNarrowingKeys: string[];
  privilegeEscalation: Array<{ name: string; actions: string[] }>;
}

export function awsData(): AwsPolicyData {
  return loadRulesData<AwsPolicyData>("lists/policy-aws.json", "policy-aws");
}

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .toLowerCase()
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    re = new RegExp(`^${body}$`);
    // Patterns come from scanned files; keep the cache bounded.
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re;
}

/** Does an IAM action pattern (`s3:Get*`, `*`) cover a concrete action (`s3:GetObject`)? */
export function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern).test(action.toLowerCase());
}

/** Does a condition-key pattern from the data files (`kms:EncryptionContext:*`) cover a key from a policy? */
export function keyMatches(pattern: string, key: string): boolean {
  return glob(pattern).test(key.toLowerCase());
}

export const isAllow = (st: AwsStatement): boolean => st.effect === "Allow";

/** Does an Allow statement grant this concrete action? (NotAction grants everything it does not list.) */
export function grants(st: AwsStatement, action: string): boolean {
  if (!isAllow(st)) return false;
  if (st.actions) return st.actions.some((p) => actionMatches(p, action));
  if (st.notActions) return !st.notActions.some((p) => actionMatches(p, action));
  return false;
}

/** Resource "*" (or NotResource, which covers everything not listed). */
export function unconstrainedResource(st: AwsStatement): boolean {
  return (st.resources?.includes("*") ?? false) || st.notResources !== undefined;
}

function isPublicPrincipal(p: AwsPrincipal): boolean {
  if (p.value === "*") return true;
  // An account wildcard in an ARN (arn:aws:iam::*:root) also means every account.
  return p.type === "AWS" && /^arn:aws[a-z-]*:(iam|sts)::\*:/i.test(p.value);
}

/** How a statement is open to everyone, or undefined when it names its principals. */
export function publicGrant(st: AwsStatement): string | undefined {
  if (!isAllow(st)) return undefined;
  const open = st.principal?.find(isPublicPrincipal);
  if (open) return open.type === "*" ? 'Principal "*"' : `Principal {"${open.type}": "${open.value}"}`;
  if (st.notPrincipal) return "NotPrincipal (everyone except the principals listed)";
  return undefined;
}

/** Keys whose values are exact identifiers: any wildcard in them (o-*, vpce-*) matches strangers too. */
const ID_KEYS = /^(aws:principalorgid|aws:sourceorgid|aws:principalaccount|aws:sourceaccount|aws:sourceowner|aws:sourcevpce|aws:sourcevpc|aws:resourceaccount|s3:dataaccesspointaccount|kms:calleraccount)$/;

function isWildcardValue(cond: AwsCondition, value: string): boolean {
  if (value === EXPRESSION) return false;
  if (/^[*?]*$/.test(value)) return true;
  const key = cond.key.toLowerCase();
  if (ID_KEYS.test(key) && /[*?]/.test(value)) return true;
  if (key === "aws:sourceip" || key === "aws:vpcsourceip") {
    // A prefix shorter than /8 spans a large part of the internet.
    const m = /\/(\d+)$/.exec(value);
    if (m && Number(m[1]) < 8) return true;
  }
  // An ARN whose account field is a wildcard matches every account (S3 ARNs have no account field).
  const arn = value.split(":");
  if (arn[0] === "arn" && arn.length >= 6 && /[*?]/.test(arn[4] ?? "")) return true;
  if (arn[0] === "arn" && arn.length >= 6 && arn[4] === "" && arn.slice(5).join(":") === "*") return true;
  return false;
}

export interface NarrowingVerdict {
  /** The condition that limits who can use the statement, if any. */
  narrowedBy?: AwsCondition;
  /** Conditions on narrowing keys that do not narrow, each with why. */
  weak: Array<{ condition: AwsCondition; why: string }>;
}

/** Whether any condition limits a public statement to a network, organisation, account or source. */
export function narrowing(st: AwsStatement, keys: string[] = awsData().narrowingConditionKeys): NarrowingVerdict {
  const operators = new Set(awsData().narrowingOperators.map((o) => o.toLowerCase()));
  const verdict: NarrowingVerdict = { weak: [] };
  for (const c of st.conditions) {
    if (!keys.some((k) => keyMatches(k, c.key))) continue;
    let why: string | undefined;
    if (c.ifExists) why = `${c.operator} passes when the request carries no ${c.key}, as requests from outside do`;
    else if (c.setOperator === "ForAllValues") why = `${c.operator} is true when ${c.key} is absent`;
    else if (c.setOperator === "ForAnyValue") why = `${c.operator} is a set operator on the single-valued key ${c.key}, which IAM Access Analyzer reports as not restricting access`;
    else if (!operators.has(c.base.toLowerCase())) why = `${c.operator} is a negated or unsupported operator for ${c.key}`;
    else if (c.values.length === 0 || c.values.some((v) => isWildcardValue(c, v))) why = `${c.key} is compared with a wildcard`;
    if (why) verdict.weak.push({ condition: c, why });
    else if (!verdict.narrowedBy) verdict.narrowedBy = c;
  }
  return verdict;
}

export function weakConditionNote(v: NarrowingVerdict): string {
  if (v.weak.length === 0) return "";
  const w = v.weak[0]!;
  return ` (the condition at line ${w.condition.line} does not narrow it: ${w.why})`;
}

/** The actions a statement grants, for messages. */
export function describeActions(st: AwsStatement, max = 4): string {
  if (st.actions) return listed(st.actions, max);
  if (st.notActions) return `every action except ${listed(st.notActions, max)}`;
  return "no action";
}

export function describeResources(st: AwsStatement, max = 3): string {
  if (st.resources) return listed(st.resources, max);
  if (st.notResources) return `every resource except ${listed(st.notResources, max)}`;
  return "no resource";
}

export function listed(values: string[], max: number): string {
  const shown = values.slice(0, max).map((v) => clip(v)).join(", ");
  return values.length > max ? `${shown} and ${values.length - max} more` : shown || "(none)";
}

/** "Statement "PublicRead" of ModelBucketPolicy" / "Statement 2"; starts the message. */
export function statementLabel(policy: AwsPolicy, st: AwsStatement): string {
  const name = st.sid ? `Statement "${clip(st.sid, 80)}"` : `Statement ${st.index + 1}`;
  return policy.owner ? `${name} of ${clip(policy.owner, 80)}` : name;
}

/** "The policy of ModelRole" / "The policy at Resources.X" / "The policy"; starts the message. */
export function policyLabel(policy: AwsPolicy): string {
  return policy.owner ? `The policy of ${clip(policy.owner, 80)}` : policy.path ? `The policy at ${clip(policy.path, 80)}` : "The policy";
}

const BUCKET_POLICY_TYPES = new Set(["aws::s3::bucketpolicy", "aws_s3_bucket_policy"]);

/** An S3 bucket policy: owned by a bucket-policy resource, or a resource policy on S3 ARNs. */
export function isBucketPolicy(policy: AwsPolicy): boolean {
  if (policy.ownerType && BUCKET_POLICY_TYPES.has(policy.ownerType.toLowerCase())) return true;
  if (policy.ownerType) return false;
  const hasPrincipal = policy.statements.some((s) => s.principal !== undefined || s.notPrincipal !== undefined);
  const onS3 = policy.statements.some((s) => (s.resources ?? []).some((r) => /^arn:(aws[a-z-]*|\$\{AWS::Partition\}):s3:::/.test(r)));
  return hasPrincipal && onS3;
}

/** Principals that are only whole accounts (the delegation statement of KMS key policies). */
export function onlyAccountRoots(st: AwsStatement): boolean {
  const ps = st.principal ?? [];
  return ps.length > 0 && ps.every((p) => p.type === "AWS" && !p.value.includes("*") && (/^\d{12}$/.test(p.value) || /^arn:[^:]+:iam::[^:]+:root$/.test(p.value)));
}

/** Evidence shared by AWS findings. */
export function statementEvidence(policy: AwsPolicy, st: AwsStatement): Record<string, unknown> {
  const ev: Record<string, unknown> = { path: st.path, effect: st.effect };
  if (st.sid) ev.sid = st.sid;
  if (policy.owner) ev.owner = policy.owner;
  // Evidence stays small however long the lists in the file are.
  const cap = (xs: string[]): string[] => xs.slice(0, 50).map((x) => clip(x, 200));
  if (st.actions) ev.actions = cap(st.actions);
  if (st.notActions) ev.notActions = cap(st.notActions);
  if (st.resources) ev.resources = cap(st.resources);
  if (st.notResources) ev.notResources = cap(st.notResources);
  if (policy.embedded) ev.embedded = true;
  return ev;
}

/** Statements open to everyone (a public principal) that no condition narrows, with how they are public. */
export function* unnarrowedPublicStatements(
  doc: AwsDocument,
): Generator<{ policy: AwsPolicy; st: AwsStatement; how: string; verdict: NarrowingVerdict }> {
  for (const policy of doc.policies) {
    for (const st of policy.statements) {
      const how = publicGrant(st);
      if (!how) continue;
      const verdict = narrowing(st);
      if (!verdict.narrowedBy) yield { policy, st, how, verdict };
    }
  }
}
