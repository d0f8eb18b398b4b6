import { createHash } from "node:crypto";
import type { Finding, Target } from "../../src/types";
import { buildInventory, groupFindings, inventoryToPrint, topRisks } from "../../src/compliance/workpaper";

function finding(i: number, over: Partial<Finding> & { uri: string; column?: string }): Finding {
  const { uri, column, ...rest } = over;
  return { ruleId: "dataset/personal-data", severity: "high", message: `m${i}.`, location: { uri, row: i, ...(column !== undefined ? { column } : {}) }, controls: ["GDPR-32"], fingerprint: i.toString(16).padStart(16, "0"), ...rest };
}

describe("findings grouped for the workpaper", () => {
  it("aggregates rows of one column in one artifact and keeps the first ones as examples", () => {
    const fs = [...Array.from({ length: 412 }, (_, i) => finding(i, { uri: "data/a.csv", column: "email" })), ...Array.from({ length: 3 }, (_, i) => finding(1000 + i, { uri: "data/a.csv", column: "phone" }))];
    const [g] = groupFindings(fs);
    expect(g!.count).toBe(415);
    expect(g!.artifactCount).toBe(1);
    const [email, phone] = g!.artifacts[0]!.subgroups;
    expect(email).toMatchObject({ label: "column email", count: 412 });
    expect(email!.examples.map((f) => f.location.row)).toEqual([0, 1, 2]);
    expect(phone).toMatchObject({ label: "column phone", count: 3 });
  });

  it("caps artifacts per rule and counts the rest; orders rules by severity; top risks leave out the tool's notices", () => {
    const fs = [
      ...Array.from({ length: 30 }, (_, i) => finding(i, { uri: `d/${i}.csv`, severity: "medium", ruleId: "dataset/outliers" })),
      finding(99, { uri: "m.pkl", severity: "critical", ruleId: "artifact/pickle-code-execution" }),
      finding(98, { uri: "x.bin", severity: "high", ruleId: "aigis/parse-error" }),
    ];
    const groups = groupFindings(fs, { artifactsPerRule: 12, subgroupsPerArtifact: 6, examplesPerSubgroup: 3, topRisks: 5, inventoryRows: 300 });
    expect(groups.map((g) => g.ruleId)).toEqual(["artifact/pickle-code-execution", "aigis/parse-error", "dataset/outliers"]);
    const outliers = groups[2]!;
    expect(outliers.artifacts).toHaveLength(12);
    expect(outliers.moreArtifacts).toBe(18);
    expect(outliers.moreArtifactFindings).toBe(18);
    expect(topRisks(groups).map((g) => g.ruleId)).toEqual(["artifact/pickle-code-execution", "dataset/outliers"]);
  });
});

describe("inventory", () => {
  const t = (uri: string, kind: Target["kind"], sha = "a".repeat(64)): Target => ({ uri, kind, bytes: 10, sha256: sha });

  it("lists models and datasets, folds an image-class folder into one dataset row with a manifest digest, counts other files", () => {
    const images = [t("ds/cat/1.png", "image", "1".repeat(64)), t("ds/dog/2.png", "image", "2".repeat(64)), t("ds/cat/0.png", "image", "0".repeat(64))];
    const inv = buildInventory([t("m/model.onnx", "onnx"), t("README.md", "text"), t("notes.txt", "text"), t("bad.txt", "text"), ...images], [{ ...finding(1, { uri: "bad.txt" }) }]);
    const folder = inv.entries.find((e) => e.uri === "ds/")!;
    expect(folder).toMatchObject({ class: "dataset", files: 3, bytes: 30 });
    const manifest = `${"0".repeat(64)}  ds/cat/0.png\n${"1".repeat(64)}  ds/cat/1.png\n${"2".repeat(64)}  ds/dog/2.png\n`;
    expect(folder.sha256).toBe(createHash("sha256").update(manifest).digest("hex"));
    expect(inv.entries.map((e) => e.uri)).toEqual(["m/model.onnx", "ds/", "bad.txt"]);
    expect(inv.others).toEqual([{ kind: "text", files: 2, bytes: 20 }]);
  });

  it("prints artifacts with findings first when the inventory is over its row limit", () => {
    const targets = Array.from({ length: 50 }, (_, i) => t(`m/${String(i).padStart(2, "0")}.onnx`, "onnx"));
    const inv = buildInventory(targets, [finding(1, { uri: "m/49.onnx" })]);
    const printed = [...inventoryToPrint(inv, 5)].map((e) => e.uri);
    expect(printed).toHaveLength(5);
    expect(printed[0]).toBe("m/49.onnx");
  });
});
