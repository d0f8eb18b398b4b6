import { runScan } from "../../../../src/core/run";
import { join } from "node:path";
import { collect, runRuleTests } from "../../../helpers/rule-tester";
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
    {
      name: "a bound method of an allowed instance (torch OneCycleLR keeps getattr(self, '_annealing_cos'))",
      doc: doc(Buffer.from("\x80\x02c__builtin__\ngetattr\nctorch.optim.lr_scheduler\nOneCycleLR\n)\x81X\x0e\x00\x00\x00_annealing_cos\x86R.", "latin1")),
    },
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
    {
      name: "getattr on a module-level class, not an instance",
      doc: doc(Buffer.from("\x80\x02c__builtin__\ngetattr\nctorch.optim.lr_scheduler\nOneCycleLR\nX\x06\x00\x00\x00__init\x86R.", "latin1")),
      findings: [{ evidence: { callable: "builtins.getattr" } }],
    },
    {
      name: "getattr of a dunder on an allowed instance",
      doc: doc(Buffer.from("\x80\x02c__builtin__\ngetattr\nctorch.optim.lr_scheduler\nOneCycleLR\n)\x81X\x09\x00\x00\x00__class__\x86R.", "latin1")),
      findings: [{ evidence: { callable: "builtins.getattr" } }],
    },
    {
      name: "a bound method looked up and then called",
      doc: doc(Buffer.from("\x80\x02c__builtin__\ngetattr\nctorch.optim.lr_scheduler\nOneCycleLR\n)\x81X\x04\x00\x00\x00step\x86R)R.", "latin1")),
      findings: [{ evidence: { callable: "builtins.getattr" } }],
    },
    { name: "copyreg extension code", doc: doc(Buffer.from("\x80\x02\x82\x05)R.", "latin1")), findings: [{ evidence: { opcode: "EXT" } }] },
  ],
});

/** protocol 2: module.name imported with GLOBAL and never called. */
const ref = (m: string, n: string): Buffer => Buffer.from(`\x80\x02c${m}\n${n}\n.`, "latin1");
/** protocol 2: NEWOBJ of module.name, then BUILD with a dict state (what copyreg writes for plain classes). */
const newobj = (m: string, n: string): Buffer => Buffer.from(`\x80\x02c${m}\n${n}\n)\x81}b.`, "latin1");
const docAllow = (b: Buffer, allow: string[]) => buildPickleDocument(analysePickles(b), allow);

runRuleTests(pickleUnknownImport, {
  valid: [
    { name: "torch rebuild", doc: doc(call("torch._utils", "_rebuild_tensor_v2", "x")) },
    { name: "denied import is reported by code-execution instead", doc: doc(call("os", "system", "id")) },
    { name: "a torch layer in torch.save(model)", doc: doc(newobj("torch.nn.modules.linear", "Linear")) },
    { name: "a scikit-learn estimator", doc: doc(newobj("sklearn.ensemble._forest", "RandomForestClassifier")) },
    { name: "a scikit-learn score function kept as a value", doc: doc(ref("sklearn.feature_selection._univariate_selection", "f_classif")) },
    { name: "an activation function kept by a layer", doc: doc(ref("torch.nn.functional", "relu")) },
    { name: "an optimizer and a scheduler", doc: doc(Buffer.concat([newobj("torch.optim.adam", "Adam").subarray(0, -1), Buffer.from("0"), newobj("torch.optim.lr_scheduler", "StepLR").subarray(2)])) },
    { name: "the project's class allowed in config", doc: docAllow(newobj("mypkg.models", "Net"), ["mypkg.models.Net"]) },
    { name: "the project's package allowed in config", doc: docAllow(newobj("mypkg.models", "Net"), ["mypkg.*"]) },
  ],
  invalid: [
    {
      name: "a model class, called: high, with what it is and how to allow it",
      doc: doc(call("mypkg.models", "Net", "x")),
      findings: [{ message: "add `mypkg.models.Net` to `scanners.artifacts.pickleAllow`", severity: "high", evidence: { callable: "mypkg.models.Net", occurrences: 1, origin: "other", kind: "class" } }],
    },
    { name: "a class from the saving script", doc: doc(newobj("__main__", "MyNet")), findings: [{ message: "defined in the script that saved the file", severity: "high", evidence: { origin: "script" } }] },
    { name: "imported, never called: medium", doc: doc(ref("mypkg.models", "Net")), findings: [{ message: "without calling it", severity: "medium" }] },
    { name: "a stdlib function called: high", doc: doc(call("zlib", "decompress", "x")), findings: [{ severity: "high", evidence: { origin: "stdlib", kind: "function" } }] },
    { name: "a scikit-learn function called while loading", doc: doc(call("sklearn.feature_selection._univariate_selection", "f_classif", "x")), findings: [{ message: "never called while loading", severity: "high" }] },
    { name: "a dotted walk from an allowed tree", doc: doc(call("torch.nn.modules.linear", "math.floor", "x")), findings: [{ severity: "high" }] },
    { name: "a library name outside the allow-list", doc: doc(call("torch.utils.checkpoint", "checkpoint", "x")), findings: [{ severity: "high", evidence: { origin: "library" } }] },
    { name: "a prefix allow in config does not walk dotted names", doc: docAllow(call("mypkg.models", "Net.helper", "x"), ["mypkg.*"]), findings: [{ severity: "high" }] },
    {
      name: "BUILD on an allowed class itself (attribute overwrite gadget)",
      doc: doc(Buffer.from("\x80\x02ccollections\nOrderedDict\nN}X\x01\x00\x00\x00aX\x02\x00\x00\x00oss\x86b.", "latin1")),
      findings: [{ message: "applies BUILD to the imported object itself", severity: "high", evidence: { misuse: "build-on-import" } }],
    },
    {
      name: "calling what an allowed callable returned",
      doc: doc(Buffer.from("\x80\x02ccollections\nOrderedDict\n)RX\x02\x00\x00\x00id\x85R.", "latin1")),
      findings: [{ message: "calls the object it returns", severity: "high", evidence: { misuse: "call-of-result" } }],
    },
  ],
});

describe("artifact/pickle-unknown-import message", () => {
  it("tells a constructor call from a BUILD that sets the object's state", async () => {
    const { report } = await runScan({ paths: ["fixtures/demo/models/custom-class.pkl"], cwd: join(__dirname, "..", "..", "..", ".."), jobs: 1 });
    const f = report.findings.find((x) => x.evidence?.["callable"] === "mylab.models.IrisNet")!;
    expect(f.message).toMatch(/and calls it once and sets its state once;/);
    expect(f.severity).toBe("high");
    expect(f.message).toContain("add `mylab.models.IrisNet` to `scanners.artifacts.pickleAllow`");
  });
});

describe("callables from picklescan's 2025 advisories and stdlib clients", () => {
  // None was on the deny-list before; allow-list first makes them high even without it, and the
  // deny-list now names them as execution primitives (critical).
  it.each([
    ["imaplib", "IMAP4_stream"],
    ["poplib", "POP3"],
    ["nntplib", "NNTP"],
    ["uuid", "_get_command_stdout"],
    ["_aix_support", "_read_cmd_output"],
    ["_osx_support", "_read_output"],
    ["_pyrepl.pager", "pipe_pager"],
    ["test.support.script_helper", "assert_python_ok"],
    ["zipimport", "zipimporter"],
    ["_interpreters", "create"],
    ["torch.jit.unsupported_tensor_ops", "execWrapper"],
    ["torch.utils.bottleneck.__main__", "run_cprofile"],
    ["torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression"],
    ["torch.utils._config_module", "ConfigModule.load_config"],
  ])("%s.%s is critical", (m, n) => {
    const d = doc(call(m, n, "x"));
    expect(collect(pickleCodeExecution, d).map((f) => f.severity ?? "critical")).toEqual(["critical"]);
    expect(collect(pickleUnknownImport, d)).toEqual([]);
  });

  it("an execution primitive no list names is still high", () => {
    const d = doc(call("somelib.shell", "run_command", "touch /tmp/x"));
    expect(collect(pickleCodeExecution, d)).toEqual([]);
    expect(collect(pickleUnknownImport, d).map((f) => f.severity)).toEqual(["high"]);
  });
});
