// Identity policies that allow kms:Decrypt on every key.
import type { Rule } from "../../../types";
import { actionMatches, awsData, isAllow, listed, narrowing, statementEvidence, statementLabel, unconstrainedResource } from "../aws/analysis";
import type { AwsDocument } from "../aws/model";

const DECRYPTING = ["kms:Decrypt", "kms:ReEncryptFrom"];

export const awsKmsDecryptWildcard: Rule<AwsDocument> = {
  meta: {
    id: "policy/aws-kms-decrypt-wildcard",
    appliesTo: { kinds: ["iam-policy"] },
    messages: {
      found: "{{policy}} allows {{decrypting}} on every KMS key (\"Resource\": \"*\"), so its holder can decrypt any dataset or model encrypted under a key it can reach; list the key ARNs, or add a kms:ViaService or kms:EncryptionContext condition.",
    },
  },
  check(doc, ctx) {
    for (const policy of doc.policies) {
      for (const st of policy.statements) {
        // In a key policy (a statement with a Principal) "Resource": "*" means the key itself.
        if (!isAllow(st) || st.principal || st.notPrincipal || !unconstrainedResource(st)) continue;
        const decrypting = (st.actions ?? []).filter((a) => a !== "*" && DECRYPTING.some((d) => actionMatches(a, d)));
        if (decrypting.length === 0) continue;
        if (narrowing(st, awsData().kmsDecryptNarrowingKeys).narrowedBy) continue;
        ctx.report({
          messageId: "found", data: { policy: statementLabel(policy, st), decrypting: listed(decrypting, 3) },
          location: { line: st.line },
          evidence: { ...statementEvidence(policy, st), decryptActions: decrypting },
          fingerprintKey: `${st.path}:kms-decrypt`,
        });
      }
    }
  },
};
