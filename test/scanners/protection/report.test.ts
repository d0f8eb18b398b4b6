// The protection annotations and findings fit the JSON report contract and SARIF 2.1.0.
import { loadCatalog } from "../../../src/core/catalog";
import { toSarif } from "../../../src/reporters/sarif";
import { reportSchemaErrors, sarifSchemaErrors } from "../../helpers/validate";
import { ANCHORS, FIXTURES, scan } from "./helpers";

describe("protection output contract", () => {
  it("a scan of every protection fixture with a policy validates against the report schema and SARIF", async () => {
    const report = await scan([FIXTURES], {
      hints: { trustAnchors: ANCHORS },
      config: { scanners: { protection: { requireEncryption: { kinds: ["model"] }, requireSignature: { paths: [`${FIXTURES}/plain/**`] } } } },
    });
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(sarifSchemaErrors(toSarif(report, loadCatalog()))).toEqual([]);
    const rules = new Set(report.findings.map((f) => f.ruleId));
    for (const id of ["protection/unencrypted-artifact", "protection/signature-invalid", "protection/signature-untrusted", "protection/signature-expired", "protection/weak-signature", "protection/missing-signature", "protection/integrity-mismatch", "protection/unlisted-file"]) {
      expect(rules).toContain(id);
    }
    expect(report.findings.every((f) => f.message.endsWith("."))).toBe(true);
  });
});
