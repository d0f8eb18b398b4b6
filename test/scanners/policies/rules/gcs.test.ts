import { runRuleTests } from "../../../helpers/rule-tester";
import { gcsPrimitiveRole } from "../../../../src/scanners/policies/rules/gcs-primitive-role";
import { gcsPublicMember } from "../../../../src/scanners/policies/rules/gcs-public-member";
import { gcs } from "./helpers";

runRuleTests(gcsPublicMember, {
  valid: [
    { name: "named members", doc: gcs([{ role: "roles/storage.objectViewer", members: ["serviceAccount:a@p.iam.gserviceaccount.com", "group:ml@acme.example"] }]) },
    { name: "convenience values", doc: gcs([{ role: "roles/storage.legacyBucketOwner", members: ["projectOwner:p", "projectEditor:p"] }]) },
    { name: "a member merely containing the word", doc: gcs([{ role: "roles/storage.objectViewer", members: ["group:allusers-of-team@acme.example"] }]) },
  ],
  invalid: [
    { name: "allUsers reader", doc: gcs([{ role: "roles/storage.objectViewer", members: ["user:a@acme.example", "allUsers"] }]), findings: [{ severity: undefined, message: "gives allUsers the role roles/storage.objectViewer, so anyone on the internet, without signing in can read", location: { line: 7 } }] },
    { name: "allAuthenticatedUsers writer", doc: gcs([{ role: "roles/storage.objectAdmin", members: ["allAuthenticatedUsers"] }]), findings: [{ severity: "critical", message: "anyone with any Google account can write objects into the bucket" }] },
    { name: "with an IAM condition", doc: gcs([{ role: "roles/storage.objectViewer", members: ["allUsers"], condition: { title: "t", expression: 'resource.name.startsWith("x")' } }]), findings: [{ message: "does not make the member less public" }] },
  ],
});

runRuleTests(gcsPrimitiveRole, {
  valid: [
    { name: "storage roles", doc: gcs([{ role: "roles/storage.objectAdmin", members: ["serviceAccount:pub@p.iam.gserviceaccount.com"] }]) },
    { name: "viewer is not reported", doc: gcs([{ role: "roles/viewer", members: ["group:auditors@acme.example"] }]) },
    { name: "no members", doc: gcs([{ role: "roles/owner", members: [] }]) },
  ],
  invalid: [
    { name: "roles/editor", doc: gcs([{ role: "roles/editor", members: ["group:ds@acme.example"] }]), findings: [{ message: "gives group:ds@acme.example the primitive role roles/editor", location: { line: 3 } }] },
    { name: "roles/owner", doc: gcs([{ role: "roles/owner", members: ["user:cto@acme.example"] }]), findings: [{ message: "gives user:c***@acme.example the primitive role roles/owner", evidence: { members: ["user:c***@acme.example"] } }] },
  ],
});
