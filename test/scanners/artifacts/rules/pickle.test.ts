import { runScan } from "../../../../src/core/run";
import { join } from "node:path";
import { runRuleTests } from "../../../helpers/rule-tester";
import { buildPickleDocument } from "../../../../src/scanners/artifacts/pickle/document";
import { analysePickles } from "../../../../src/scanners/artifacts/pickle/machine";
import { pickleCodeExecution } from "../../../../src/scanners/artifacts/pickle/rules/code-execution";
import { pickleUnknownImport } from "../../../../src/scanners/artifacts/pickle/rules/unknown-import";

const str = (s: string): Buffer => Buffer.concat([Buffer.from([0x8c, Buffer.byteLength(s)]), Buffer.from(s)]);
const sg = (m: string, n: string): Buffer => Buffer.concat([str(m), str(n), Buffer.from([0x93])]);
/** protocol 4: module.name(arg) */
const call = (m: string, n: string, arg: string): Buffer => Buffer.concat([Buffer.from([0x80, 4]), sg(m, n), str(arg), Buffer.from("\x85R.", "latin1")]);
const doc = (b: Buffer) => buildPickleDocument(analysePickles(b));

runRuleTests(pickleCodeExecution, {
  valid: [
    { name: "plain data", doc: doc(Buffer.concat([Buffer.from([0x80, 4]), str("os.system"), Buffer.from(".")])) },
    { name: "allow-listed OrderedDict", doc: doc(Buffer.from("\x80\x02ccollections\nOrderedDict\n)R.", "latin1")) },
    { name: "unknown import is not code execution", doc: doc(call("mypkg.models", "Net", "x")) },
    { name: "constructing a path object (deny exception)", doc: doc(call("pathlib", "PosixPath", "/data")) },
  ],
  invalid: [
    { name: "os.system via STACK_GLOBAL", doc: doc(call("os", "system", "id")), findings: [{ message: "`os.system`", location: { offset: 14 }, evidence: { callable: "os.system", opcode: "STACK_GLOBAL" } }] },
    { name: "GLOBAL posix.system", doc: doc(Buffer.from("\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.", "latin1")), findings: [{ evidence: { callable: "posix.system", opcode: "GLOBAL" } }] },
    { name: "a method reached through an excepted class", doc: doc(call("pathlib", "Path.write_text", "x")), findings: [{ evidence: { callable: "pathlib.Path.write_text", matched: "pathlib.*" } }] },
    { name: "dotted name behind an innocent module", doc: doc(call("collections", "os.system", "id")), findings: [{ message: "written as `collections.os.system`", evidence: { callable: "os.system" } }] },
    { name: "re-exported builtin", doc: doc(call("gzip", "open", "/etc/passwd")), findings: [{ evidence: { callable: "gzip.open", matched: "builtins.open" } }] },
    {
      name: "a dotted name longer than a string preview",
      doc: doc(Buffer.concat([Buffer.from([0x80, 4]), str("builtins"), Buffer.from([0x58, 0x2b, 0x05, 0, 0]), Buffer.from("str" + ".__class__".repeat(132)), Buffer.from("\x93)R.", "latin1")])),
      findings: [{ evidence: { opcode: "STACK_GLOBAL" } }],
    },
    { name: "dunder traversal", doc: doc(call("mypkg", "Net.__init__.__globals__", "x")), findings: [{ evidence: { matched: "(dunder attribute traversal)" } }] },
    { name: "py2 alias", doc: doc(Buffer.from("c__builtin__\neval\n(S'1'\ntR.", "latin1")), findings: [{ evidence: { callable: "builtins.eval" } }] },
    { name: "copyreg extension code", doc: doc(Buffer.from("\x80\x02\x82\x05)R.", "latin1")), findings: [{ evidence: { opcode: "EXT" } }] },
  ],
});

runRuleTests(pickleUnknownImport, {
  valid: [
    { name: "torch rebuild", doc: doc(call("torch._utils", "_rebuild_tensor_v2", "x")) },
    { name: "denied import is reported by code-execution instead", doc: doc(call("os", "system", "id")) },
  ],
  invalid: [
    { name: "a model class", doc: doc(call("mypkg.models", "Net", "x")), findings: [{ message: "`mypkg.models.Net`", severity: undefined, evidence: { callable: "mypkg.models.Net", occurrences: 1 } }] },
  ],
});

describe("artifact/pickle-unknown-import message", () => {
  it("tells a constructor call from a BUILD that sets the object's state", async () => {
    const { report } = await runScan({ paths: ["fixtures/demo/models/custom-class.pkl"], cwd: join(__dirname, "..", "..", "..", ".."), jobs: 1 });
    const f = report.findings.find((x) => x.evidence?.["callable"] === "mylab.models.IrisNet")!;
    expect(f.message).toMatch(/and calls it once and sets its state once\.$/);
  });
});
