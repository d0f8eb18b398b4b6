import { collect, runRuleTests } from "../../../helpers/rule-tester";
import { awsAllowNotAction } from "../../../../src/scanners/policies/rules/aws-allow-not-action";
import { awsAllowNotPrincipal } from "../../../../src/scanners/policies/rules/aws-allow-not-principal";
import { awsKmsDecryptWildcard } from "../../../../src/scanners/policies/rules/aws-kms-decrypt-wildcard";
import { awsMissingSecureTransport } from "../../../../src/scanners/policies/rules/aws-missing-secure-transport";
import { awsPassroleWildcard } from "../../../../src/scanners/policies/rules/aws-passrole-wildcard";
import { awsPrivilegeEscalation } from "../../../../src/scanners/policies/rules/aws-privilege-escalation";
import { awsPublicPrincipal } from "../../../../src/scanners/policies/rules/aws-public-principal";
import { awsPublicWrite } from "../../../../src/scanners/policies/rules/aws-public-write";
import { awsServiceWildcard } from "../../../../src/scanners/policies/rules/aws-service-wildcard";
import { awsWildcardAction } from "../../../../src/scanners/policies/rules/aws-wildcard-action";
import { aws, awsText, BUCKET, OBJECTS, tlsDeny } from "./helpers";

const publicRead = (extra: Record<string, unknown> = {}) => ({ Sid: "Read", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: OBJECTS, ...extra });
const publicWrite = (extra: Record<string, unknown> = {}) => ({ Sid: "Write", Effect: "Allow", Principal: "*", Action: ["s3:PutObject"], Resource: OBJECTS, ...extra });

const narrowing: Array<[string, Record<string, unknown>]> = [
  ["aws:SourceVpce", { StringEquals: { "aws:SourceVpce": "vpce-0a1b2c3d" } }],
  ["aws:SourceVpc", { StringEquals: { "aws:SourceVpc": "vpc-0a1b2c3d" } }],
  ["aws:SourceIp", { IpAddress: { "aws:SourceIp": ["203.0.113.0/24"] } }],
  ["aws:PrincipalOrgID", { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } }],
  ["aws:PrincipalAccount", { StringEquals: { "aws:PrincipalAccount": "111122223333" } }],
  ["aws:SourceAccount", { StringEquals: { "aws:SourceAccount": "111122223333" } }],
  ["aws:SourceArn", { ArnLike: { "aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1" } }],
  ["key case-insensitive (AWS:SourceVpce)", { StringEquals: { "AWS:SourceVpce": "vpce-0a1b2c3d" } }],
  ["aws:PrincipalArn with a named account and a role wildcard", { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/ml-*" } }],
  ["aws:SourceArn of an S3 bucket (no account field)", { ArnEquals: { "aws:SourceArn": "arn:aws:s3:::acme-logs" } }],
];

runRuleTests(awsPublicPrincipal, {
  valid: [
    ...narrowing.map(([name, Condition]) => ({ name: `narrowed by ${name}`, doc: aws(publicRead({ Condition }), tlsDeny) })),
    { name: "named account principal", doc: aws(publicRead({ Principal: { AWS: "arn:aws:iam::111122223333:role/reader" } })) },
    { name: "service principal", doc: aws(publicRead({ Principal: { Service: "cloudfront.amazonaws.com" } })) },
    { name: "deny-only statement grants nothing", doc: aws({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: OBJECTS }) },
    { name: "identity policy has no principal", doc: aws({ Effect: "Allow", Action: "s3:GetObject", Resource: OBJECTS }) },
    { name: "public write is left to aws-public-write", doc: aws(publicWrite()) },
  ],
  invalid: [
    { name: 'Principal "*" string', doc: aws(publicRead()), findings: [{ message: 'Statement "Read" lets anyone (Principal "*") call s3:GetObject', location: { line: 4 } }] },
    { name: '{"AWS": "*"}', doc: aws(publicRead({ Principal: { AWS: "*" } })), findings: [{ message: 'Principal {"AWS": "*"}' }] },
    { name: "a * inside a principal list", doc: aws(publicRead({ Principal: { AWS: ["arn:aws:iam::111122223333:root", "*"] } })), findings: [{ message: "lets anyone" }] },
    { name: "account wildcard ARN", doc: aws(publicRead({ Principal: { AWS: "arn:aws:iam::*:root" } })), findings: [{ message: "arn:aws:iam::*:root" }] },
    { name: "IfExists does not narrow", doc: aws(publicRead({ Condition: { StringEqualsIfExists: { "aws:SourceVpce": "vpce-1" } } })), findings: [{ message: "StringEqualsIfExists passes when the request carries no aws:SourceVpce" }] },
    { name: "ForAnyValue on a single-valued key", doc: aws(publicRead({ Condition: { "ForAnyValue:StringEquals": { "aws:PrincipalOrgID": "o-1" } } })), findings: [{ message: "set operator" }] },
    { name: "ForAllValues is true when the key is absent", doc: aws(publicRead({ Condition: { "ForAllValues:StringLike": { "aws:SourceVpc": "vpc-1" } } })), findings: [{ message: "true when aws:SourceVpc is absent" }] },
    { name: "negated operator", doc: aws(publicRead({ Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })), findings: [{ message: "negated" }] },
    { name: "source IP 0.0.0.0/0", doc: aws(publicRead({ Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } })), findings: [{ message: "wildcard" }] },
    { name: "StringLike with *", doc: aws(publicRead({ Condition: { StringLike: { "aws:PrincipalOrgID": "*" } } })), findings: [{ message: "wildcard" }] },
    { name: "ArnLike with an account wildcard", doc: aws(publicRead({ Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/trainer" } } })), findings: [{ message: "aws:PrincipalArn is compared with a wildcard" }] },
    { name: "an org id pattern", doc: aws(publicRead({ Condition: { StringLike: { "aws:PrincipalOrgID": "o-*" } } })), findings: [{ message: "wildcard" }] },
    { name: "half the IPv4 internet", doc: aws(publicRead({ Condition: { IpAddress: { "aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"] } } })), findings: [{ message: "wildcard" }] },
    { name: "duplicate Effect keys: the last one wins, as in JSON.parse", doc: awsText(`{"Statement": [{"Effect": "Deny", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "${OBJECTS}"}]}`), findings: [{ message: "lets anyone" }] },
    {
      name: "hostile Sid and action text are clipped to one line",
      doc: aws(publicRead({ Sid: `x\ny${"z".repeat(300)}`, Action: `s3:Get${"A".repeat(400)}*` })),
      findings: [{ message: /^Statement "x yz{74}\.\.\." lets anyone \(Principal "\*"\) call s3:GetA{111}\.\.\. on/ }],
    },
    { name: "a condition on another key", doc: aws(publicRead({ Condition: { Bool: { "aws:SecureTransport": "true" } } })), findings: [{ message: "lets anyone" }] },
    { name: "NotPrincipal in an Allow is public too", doc: aws({ Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::1:root" }, Action: "s3:GetObject", Resource: OBJECTS }), findings: [{ message: "NotPrincipal" }] },
    {
      name: "YAML with string forms, line of the statement",
      doc: awsText(`Version: "2012-10-17"\nStatement:\n  - Effect: Allow\n    Principal: "*"\n    Action: s3:ListBucket\n    Resource: ${BUCKET}\n`),
      findings: [{ message: "Statement 1 lets anyone", location: { line: 3 } }],
    },
  ],
});

runRuleTests(awsPublicWrite, {
  valid: [
    { name: "write narrowed by aws:PrincipalOrgID", doc: aws(publicWrite({ Condition: { StringEquals: { "aws:PrincipalOrgID": "o-1" } } })) },
    { name: "write by a named role", doc: aws(publicWrite({ Principal: { AWS: "arn:aws:iam::111122223333:role/publisher" } })) },
    { name: "public read only", doc: aws(publicRead()) },
    { name: "Deny write for everyone", doc: aws({ ...publicWrite(), Effect: "Deny" }) },
  ],
  invalid: [
    { name: "s3:PutObject", doc: aws(publicWrite()), findings: [{ message: "use s3:PutObject on arn:aws:s3:::acme-models/*", location: { line: 4 } }] },
    { name: "s3:Put* covers PutObject and PutBucketPolicy", doc: aws(publicWrite({ Action: "s3:Put*" })), findings: [{ message: "s3:PutObject, s3:PutObjectAcl, s3:PutObjectVersionAcl and" }] },
    { name: "s3:* through {AWS: *}", doc: aws(publicWrite({ Action: "s3:*", Principal: { AWS: "*" } })), findings: [{ message: "s3:PutObject, s3:PutObjectAcl, s3:PutObjectVersionAcl and 12 more" }] },
    { name: "ecr push", doc: aws(publicWrite({ Action: ["ecr:PutImage", "ecr:UploadLayerPart"], Resource: "*" })), findings: [{ message: "ecr:PutImage" }] },
    { name: "IfExists org condition", doc: aws(publicWrite({ Condition: { StringEqualsIfExists: { "aws:PrincipalOrgID": "o-1" } } })), findings: [{ message: "does not narrow" }] },
  ],
});

runRuleTests(awsWildcardAction, {
  valid: [
    { name: "Deny *", doc: aws({ Effect: "Deny", Action: "*", Resource: "*" }) },
    { name: "named actions", doc: aws({ Effect: "Allow", Action: ["s3:GetObject"], Resource: OBJECTS }) },
    { name: "service wildcard is another rule", doc: aws({ Effect: "Allow", Action: "s3:*", Resource: OBJECTS }) },
  ],
  invalid: [
    { name: "* on * is administrator access", doc: aws({ Effect: "Allow", Action: "*", Resource: "*" }), findings: [{ severity: "critical", message: "full administrator access" }] },
    { name: "* inside an action list, on one bucket", doc: aws({ Effect: "Allow", Action: ["s3:GetObject", "*"], Resource: OBJECTS }), findings: [{ message: `on ${OBJECTS}; list only` }] },
    { name: "* on * with a condition stays high", doc: aws({ Effect: "Allow", Action: "*", Resource: "*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }), findings: [{ message: "every action of every service" }] },
  ],
});
it("aws-wildcard-action keeps the catalog severity when the resource is named", () => {
  const out = collect(awsWildcardAction, aws({ Effect: "Allow", Action: "*", Resource: OBJECTS }));
  expect(out).toHaveLength(1);
  expect(out[0]!.severity).toBeUndefined();
});

runRuleTests(awsServiceWildcard, {
  valid: [
    { name: "a service outside the data list", doc: aws({ Effect: "Allow", Action: "logs:*", Resource: "*" }) },
    { name: "KMS key policy root delegation", doc: aws({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" }) },
    { name: "Deny s3:*", doc: aws(tlsDeny) },
    { name: "prefix wildcard is not a service wildcard", doc: aws({ Effect: "Allow", Action: "s3:Get*", Resource: OBJECTS }) },
  ],
  invalid: [
    { name: "s3:*", doc: aws({ Effect: "Allow", Action: ["s3:*"], Resource: [BUCKET, OBJECTS] }), findings: [{ message: "every action of s3:* on arn:aws:s3:::acme-models, arn:aws:s3:::acme-models/*" }] },
    { name: "sagemaker:* and iam:* in one statement", doc: aws({ Effect: "Allow", Action: ["sagemaker:*", "iam:*", "logs:*"], Resource: "*" }), findings: [{ message: "sagemaker:*, iam:*" }] },
    { name: "upper-case service", doc: aws({ Effect: "Allow", Action: "S3:*", Resource: OBJECTS }), findings: [{ message: "S3:*" }] },
  ],
});

runRuleTests(awsAllowNotAction, {
  valid: [
    { name: "NotAction inside a Deny", doc: aws({ Effect: "Deny", NotAction: ["s3:GetObject"], Resource: OBJECTS }) },
    { name: "Action list", doc: aws({ Effect: "Allow", Action: "s3:GetObject", Resource: OBJECTS }) },
  ],
  invalid: [
    { name: "Allow with NotAction", doc: aws({ Sid: "PowerUser", Effect: "Allow", NotAction: ["iam:*", "organizations:*"], Resource: "*" }), findings: [{ message: 'Statement "PowerUser" allows every action except iam:*, organizations:* on *' }] },
    { name: "string NotAction", doc: aws({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }), findings: [{ message: "except iam:*" }] },
  ],
});

runRuleTests(awsAllowNotPrincipal, {
  valid: [
    { name: "NotPrincipal inside a Deny", doc: aws({ Effect: "Deny", NotPrincipal: { AWS: "arn:aws:iam::1:role/admin" }, Action: "s3:*", Resource: OBJECTS }) },
    { name: "Principal", doc: aws(publicRead({ Principal: { AWS: "arn:aws:iam::1:role/reader" } })) },
  ],
  invalid: [
    { name: "Allow with NotPrincipal", doc: aws({ Effect: "Allow", NotPrincipal: { AWS: ["arn:aws:iam::444455556666:root"] }, Action: "s3:GetObject", Resource: OBJECTS }), findings: [{ message: "to every principal except arn:aws:iam::444455556666:root, anonymous users included" }] },
  ],
});

runRuleTests(awsPassroleWildcard, {
  valid: [
    { name: "named role", doc: aws({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::111122223333:role/sagemaker-training" }) },
    { name: 'Action "*" is aws-wildcard-action', doc: aws({ Effect: "Allow", Action: "*", Resource: "*" }) },
    { name: "Deny", doc: aws({ Effect: "Deny", Action: "iam:PassRole", Resource: "*" }) },
    { name: "other iam actions", doc: aws({ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }) },
  ],
  invalid: [
    { name: "iam:PassRole on *", doc: aws({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }), findings: [{ message: "allows iam:PassRole on every role (*)" }] },
    { name: "iam:* on every role of the account", doc: aws({ Effect: "Allow", Action: ["iam:*"], Resource: "arn:aws:iam::111122223333:role/*" }), findings: [{ message: "iam:*" }] },
    { name: "lower-case iam:passrole, NotResource", doc: aws({ Effect: "Allow", Action: "iam:passrole", NotResource: "arn:aws:iam::1:role/admin" }), findings: [{ message: "iam:passrole" }] },
    { name: "iam:PassedToService makes it low", doc: aws({ Effect: "Allow", Action: "iam:PassRole", Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } } }), findings: [{ severity: "low", message: "limited by iam:PassedToService to sagemaker.amazonaws.com" }] },
  ],
});

runRuleTests(awsPrivilegeEscalation, {
  valid: [
    { name: "policy versions of one policy", doc: aws({ Effect: "Allow", Action: ["iam:CreatePolicyVersion"], Resource: "arn:aws:iam::1:policy/ml-team" }) },
    { name: "PassRole * without a compute action", doc: aws({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }) },
    { name: "removed by an unconditional Deny", doc: aws({ Effect: "Allow", Action: "iam:CreateAccessKey", Resource: "*" }, { Effect: "Deny", Action: "iam:Create*", Resource: "*" }) },
    { name: 'Action "*" is aws-wildcard-action', doc: aws({ Effect: "Allow", Action: "*", Resource: "*" }) },
    { name: "a Deny granting nothing", doc: aws({ Effect: "Deny", Action: "iam:*", Resource: "*" }) },
  ],
  invalid: [
    { name: "iam:CreateAccessKey on *", doc: aws({ Effect: "Allow", Action: "iam:CreateAccessKey", Resource: "*" }), findings: [{ message: "(CreateAccessKey) because iam:CreateAccessKey is allowed on every resource" }] },
    {
      name: "PassRole and ec2:RunInstances across statements",
      doc: aws({ Effect: "Allow", Action: "ec2:RunInstances", Resource: "*" }, { Effect: "Allow", Action: "iam:PassRole", Resource: "*" }),
      // Points at the statement granting the first action of the set (iam:PassRole).
      findings: [{ message: "PassRoleToNewEC2Instance", location: { line: 9 } }],
    },
    { name: "iam:Put* covers three methods", doc: aws({ Effect: "Allow", Action: "iam:Put*", Resource: "*" }), findings: [{ message: "PutUserPolicy, PutGroupPolicy, PutRolePolicy" }] },
    { name: "a conditional Deny does not remove it", doc: aws({ Effect: "Allow", Action: "iam:AttachRolePolicy", Resource: "*" }, { Effect: "Deny", Action: "iam:*", Resource: "*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } } }), findings: [{ message: "AttachRolePolicy" }] },
  ],
});

runRuleTests(awsMissingSecureTransport, {
  valid: [
    { name: "Deny on aws:SecureTransport false", doc: aws(publicRead({ Principal: { AWS: "arn:aws:iam::1:role/r" } }), tlsDeny) },
    { name: "boolean false and BoolIfExists", doc: aws(publicRead({ Principal: { AWS: "arn:aws:iam::1:role/r" } }), { ...tlsDeny, Condition: { BoolIfExists: { "aws:SecureTransport": false } } }) },
    { name: "identity policy", doc: aws({ Effect: "Allow", Action: "s3:GetObject", Resource: OBJECTS }) },
    { name: "deny-only bucket policy", doc: aws({ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: BUCKET }) },
    { name: "every Allow requires TLS", doc: aws(publicRead({ Principal: { AWS: "111122223333" }, Condition: { Bool: { "aws:SecureTransport": "true" } } })) },
    { name: "truncated file", doc: awsText(`{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "${OBJECTS}"}, {"Effect": "Deny"`) },
  ],
  invalid: [
    { name: "named roles, no Deny", doc: aws(publicRead({ Principal: { AWS: "arn:aws:iam::1:role/r" } })), findings: [{ message: "The bucket policy has no Deny for requests with aws:SecureTransport false", location: { line: 1 } }] },
    { name: "Deny with the wrong value", doc: aws(publicRead({ Principal: { AWS: "arn:aws:iam::1:role/r" } }), { ...tlsDeny, Condition: { Bool: { "aws:SecureTransport": "true" } } }), findings: [{ message: "plain HTTP" }] },
    {
      name: "CloudFormation bucket policy with intrinsic resources",
      doc: awsText(`Resources:\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: { AWS: !Ref ReaderRole }\n            Action: s3:GetObject\n            Resource: !Sub "\${B.Arn}/*"\n`),
      findings: [{ message: "Bucket policy P has no Deny", location: { line: 5 } }],
    },
  ],
});

runRuleTests(awsKmsDecryptWildcard, {
  valid: [
    { name: "key ARN", doc: aws({ Effect: "Allow", Action: "kms:Decrypt", Resource: "arn:aws:kms:eu-west-1:1:key/abc" }) },
    { name: "kms:ViaService", doc: aws({ Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } }) },
    { name: "encryption context", doc: aws({ Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:dataset": "churn" } } }) },
    { name: "key policy statement", doc: aws({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:role/user" }, Action: "kms:Decrypt", Resource: "*" }) },
    { name: "encrypt only", doc: aws({ Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: "*" }) },
  ],
  invalid: [
    { name: "kms:Decrypt on *", doc: aws({ Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*" }), findings: [{ message: 'allows kms:Decrypt on every KMS key ("Resource": "*")' }] },
    { name: "kms:* and kms:ReEncrypt*", doc: aws({ Effect: "Allow", Action: ["kms:*", "kms:ReEncrypt*"], Resource: "*" }), findings: [{ message: "kms:*, kms:ReEncrypt*" }] },
    { name: "ViaService with IfExists does not narrow", doc: aws({ Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: { StringEqualsIfExists: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } }), findings: [{ message: "kms:Decrypt" }] },
  ],
});
