import { runRuleTests } from "../../../helpers/rule-tester";
import type { KerasDocument } from "../../../../src/scanners/artifacts/formats/keras";
import type { OnnxDocument } from "../../../../src/scanners/artifacts/formats/onnx";
import type { SafetensorsDocument } from "../../../../src/scanners/artifacts/formats/safetensors";
import type { SavedModelDocument } from "../../../../src/scanners/artifacts/formats/savedmodel";
import type { GgufDocument } from "../../../../src/scanners/artifacts/formats/gguf";
import { kerasLambda, kerasUnsafeConfig } from "../../../../src/scanners/artifacts/rules/keras";
import { onnxCustomOp, onnxExternalData } from "../../../../src/scanners/artifacts/rules/onnx";
import { safetensorsMalformed } from "../../../../src/scanners/artifacts/rules/safetensors";
import { tfUnsafeOp } from "../../../../src/scanners/artifacts/rules/tensorflow";
import { ggufTemplateInjection } from "../../../../src/scanners/artifacts/rules/gguf";

const seq = (...layers: unknown[]): unknown => ({ class_name: "Sequential", config: { name: "m", layers: [{ class_name: "Dense", module: "keras.layers", config: { name: "d", units: 2 } }, ...layers] } });
const keras = (config: unknown, pythonMembers: string[] = []): KerasDocument => ({ container: "keras-zip", config, pythonMembers });
const lambda = { class_name: "Lambda", config: { name: "lam", function: ["4wEAAAAA\n", null, null], function_type: "lambda" } };

runRuleTests(kerasLambda, {
  valid: [{ name: "Dense only", doc: keras(seq()) }, { name: "no config", doc: keras(undefined) }],
  invalid: [{ name: "Lambda", doc: keras(seq(lambda)), findings: [{ message: 'Lambda layer "lam" carries marshalled bytecode', evidence: { layer: "lam", functionType: "lambda" } }] }],
});

runRuleTests(kerasUnsafeConfig, {
  valid: [
    { name: "keras modules", doc: keras(seq({ class_name: "Dropout", module: "keras.src.layers", config: { name: "x" } })) },
    { name: "a Lambda is keras-lambda's finding", doc: keras(seq(lambda)) },
    { name: "a Keras 3 Lambda's __lambda__ function is keras-lambda's finding too", doc: keras(seq({ class_name: "Lambda", config: { name: "l3", function: { class_name: "__lambda__", config: { code: "4w" } } } })) },
  ],
  invalid: [
    { name: "module outside keras", doc: keras(seq({ class_name: "system", module: "os", config: {} })), findings: [{ message: "`os.system`", evidence: { module: "os" } }] },
    { name: "TorchModuleWrapper", doc: keras(seq({ class_name: "TorchModuleWrapper", module: "keras.layers", config: { name: "t" } })), findings: [{ severity: "critical", message: "TorchModuleWrapper" }] },
    { name: ".py member", doc: keras(seq(), ["layers.py"]), findings: [{ message: '"layers.py"', location: { member: "layers.py" } }] },
    { name: "Keras 3 __lambda__ as an activation", doc: keras(seq({ class_name: "Dense", module: "keras.layers", config: { name: "d2", activation: { class_name: "__lambda__", config: { code: "4wEAAAAA" } } } })), findings: [{ severity: "critical", message: "serialized Python function (__lambda__)" }] },
  ],
});

const tf = (...ops: Array<[string, string]>): SavedModelDocument => ({ nodes: ops.map(([op, fn], k) => ({ name: `n${k}`, op, fn, metaGraph: 0 })) });
runRuleTests(tfUnsafeOp, {
  valid: [{ name: "math ops", doc: tf(["MatMul", ""], ["Relu", ""], ["Identity", "f"]) }],
  invalid: [
    { name: "PyFunc is critical", doc: tf(["EagerPyFunc", "__inference_f"]), findings: [{ severity: "critical", message: 'function "__inference_f" uses the EagerPyFunc op' }] },
    { name: "ReadFile repeated is one finding", doc: tf(["ReadFile", ""], ["ReadFile", ""]), findings: [{ severity: "high", message: "and 1 more", evidence: { occurrences: 2 } }] },
  ],
});

const onnx = (over: Partial<OnnxDocument>): OnnxDocument => ({ irVersion: 8, producer: "t", opsetDomains: [""], localFunctionDomains: [], nodes: [{ domain: "", opType: "Add", node: "a", where: "graph.node[0]" }], externalData: [], ...over });
runRuleTests(onnxExternalData, {
  valid: [{ name: "sibling file", doc: onnx({ externalData: [{ tensor: "w", location: "weights/w.bin", where: "graph.initializer[0]" }] }) }],
  invalid: [
    { name: "traversal", doc: onnx({ externalData: [{ tensor: "w", location: "a/../../x", where: "graph.initializer[0]" }] }), findings: [{ message: "leaves the model folder" }] },
    { name: "absolute and URL", doc: onnx({ externalData: [{ tensor: "w", location: "/etc/passwd", where: "g" }, { tensor: "v", location: "http://x/y", where: "g" }] }), findings: [{ message: "absolute path" }, { message: "is a URL" }] },
  ],
});
runRuleTests(onnxCustomOp, {
  valid: [
    { name: "standard and ORT domains", doc: onnx({ opsetDomains: ["", "com.microsoft"], nodes: [{ domain: "com.microsoft", opType: "FusedMatMul", node: "f", where: "g" }] }) },
    { name: "domain of a local function", doc: onnx({ opsetDomains: ["", "my.fn"], localFunctionDomains: ["my.fn"], nodes: [{ domain: "my.fn", opType: "Block", node: "b", where: "g" }] }) },
  ],
  invalid: [
    { name: "custom domain node", doc: onnx({ opsetDomains: ["", "com.evil"], nodes: [{ domain: "com.evil", opType: "Exec", node: "x", where: "g" }] }), findings: [{ message: '"Exec" from custom domain "com.evil"', evidence: { domain: "com.evil" } }] },
    { name: "imported but unused", doc: onnx({ opsetDomains: ["", "org.other"] }), findings: [{ message: 'imports custom operator domain "org.other"' }] },
  ],
});

const st = (header: Record<string, unknown> | undefined, dataBytes: number, headerError?: string): SafetensorsDocument => ({ fileSize: 8 + 100 + dataBytes, headerLength: 100, maxHeaderBytes: 1e8, ...(header ? { header } : {}), ...(headerError ? { headerError } : {}) });
const t = (dtype: string, shape: number[], start: number, end: number) => ({ dtype, shape, data_offsets: [start, end] });
runRuleTests(safetensorsMalformed, {
  valid: [{ name: "two tensors back to back", doc: st({ __metadata__: { format: "pt" }, a: t("F32", [2], 0, 8), b: t("BF16", [3], 8, 14) }, 14) }],
  invalid: [
    { name: "overlap", doc: st({ a: t("F32", [2], 0, 8), b: t("F32", [2], 4, 12) }, 12), findings: [{ message: "overlap" }] },
    { name: "out of bounds", doc: st({ a: t("F32", [1024], 0, 4096) }, 8), findings: [{ message: "run past" }] },
    { name: "bad dtype and size", doc: st({ a: t("PYOBJ", [2], 0, 8), b: t("F32", [3], 8, 16) }, 16), findings: [{ message: '"PYOBJ"' }, { message: "need 12" }] },
    { name: "gap", doc: st({ a: t("U8", [4], 4, 8) }, 8), findings: [{ message: "belong to no tensor" }] },
    { name: "header error", doc: st(undefined, 0, "the header length 99999 runs past the end of the 10-byte file"), findings: [{ message: "safetensors header: the header length" }] },
    { name: "metadata not strings", doc: st({ __metadata__: { n: 1 } }, 0), findings: [{ message: "__metadata__ is not a map of strings" }] },
  ],
});

const gguf = (template: string): GgufDocument => ({ version: 3, tensorCount: 0, kvCount: 2, strings: [{ key: "general.name", value: "__class__ os.system(", offset: 30 }, { key: "tokenizer.chat_template", value: template, offset: 80 }] });
runRuleTests(ggufTemplateInjection, {
  valid: [{ name: "ordinary template", doc: gguf("{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] }}{% endfor %}") }],
  invalid: [
    { name: "subclasses walk", doc: gguf("{{ ''.__class__.__mro__[1].__subclasses__() }}"), findings: [{ message: "walks Python object internals", location: { offset: 80 } }] },
    { name: "cycler globals", doc: gguf("{{ cycler.__init__.__globals__.os.popen('id').read() }}"), findings: [{ evidence: { key: "tokenizer.chat_template" } }] },
    { name: "escaped underscores", doc: gguf("{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}"), findings: [{ message: "attr filter" }] },
  ],
});
