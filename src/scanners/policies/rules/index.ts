import type { Rule } from "../../../types";
import type { AwsDocument } from "../aws/model";
import type { GcsDocument } from "../gcs/model";
import type { RbacDocument } from "../k8s/model";
import { awsAllowNotAction } from "./aws-allow-not-action";
import { awsAllowNotPrincipal } from "./aws-allow-not-principal";
import { awsKmsDecryptWildcard } from "./aws-kms-decrypt-wildcard";
import { awsMissingSecureTransport } from "./aws-missing-secure-transport";
import { awsPassroleWildcard } from "./aws-passrole-wildcard";
import { awsPrivilegeEscalation } from "./aws-privilege-escalation";
import { awsPublicPrincipal } from "./aws-public-principal";
import { awsPublicWrite } from "./aws-public-write";
import { awsServiceWildcard } from "./aws-service-wildcard";
import { awsWildcardAction } from "./aws-wildcard-action";
import { gcsPrimitiveRole } from "./gcs-primitive-role";
import { gcsPublicMember } from "./gcs-public-member";
import { k8sAnonymousBinding } from "./k8s-anonymous-binding";
import { k8sClusterAdminBinding } from "./k8s-cluster-admin-binding";
import { k8sEscalationVerbs } from "./k8s-escalation-verbs";
import { k8sSecretsAccess } from "./k8s-secrets-access";
import { k8sWildcard } from "./k8s-wildcard";

export const awsRules: ReadonlyArray<Rule<AwsDocument>> = [
  awsPublicWrite,
  awsPublicPrincipal,
  awsAllowNotPrincipal,
  awsWildcardAction,
  awsAllowNotAction,
  awsServiceWildcard,
  awsPassroleWildcard,
  awsPrivilegeEscalation,
  awsKmsDecryptWildcard,
  awsMissingSecureTransport,
];

export const gcsRules: ReadonlyArray<Rule<GcsDocument>> = [gcsPublicMember, gcsPrimitiveRole];

export const k8sRules: ReadonlyArray<Rule<RbacDocument>> = [k8sWildcard, k8sSecretsAccess, k8sEscalationVerbs, k8sAnonymousBinding, k8sClusterAdminBinding];
