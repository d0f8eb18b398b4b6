// Builds rule documents from policy text, the way the scanner does.
import { readPolicyText } from "../../../../src/scanners/policies";
import type { AwsDocument } from "../../../../src/scanners/policies/aws/model";
import type { GcsDocument } from "../../../../src/scanners/policies/gcs/model";
import type { RbacDocument } from "../../../../src/scanners/policies/k8s/model";

type Json = Record<string, unknown>;

/** A policy document from statements (objects) or raw JSON/YAML text. */
export function aws(...statements: Json[]): AwsDocument {
  return awsText(JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2));
}

export function awsText(text: string): AwsDocument {
  return readPolicyText(text, "iam-policy").aws!;
}

export function gcs(bindings: Json[]): GcsDocument {
  return readPolicyText(JSON.stringify({ bindings, etag: "CAE=" }, null, 2), "gcs-iam-policy").gcs!;
}

export function rbac(yaml: string): RbacDocument {
  return readPolicyText(yaml, "k8s-rbac").rbac!;
}

export const BUCKET = "arn:aws:s3:::acme-models";
export const OBJECTS = `${BUCKET}/*`;

export const tlsDeny = {
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [BUCKET, OBJECTS],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};
