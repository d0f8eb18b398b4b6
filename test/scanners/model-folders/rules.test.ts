// One RuleTester block per model-folder rule: valid documents give nothing, invalid ones the
// findings named.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runRuleTests } from "../../helpers/rule-tester";
import { FlaxError, readFlaxMsgpack } from "../../../src/scanners/model-folders/flax";
import { readTflite, TfliteError } from "../../../src/scanners/model-folders/tflite";
import type { KerasDocument } from "../../../src/scanners/artifacts/formats/keras";
import { kerasLoaderGadget } from "../../../src/scanners/artifacts/rules/keras-gadgets";
import type { HydraDocument, MarDocument, ModelFolderDocument, PythonCodeDocument, SkopsDocument, TemplateDocument, TfliteDocument } from "../../../src/scanners/model-folders/documents";
import { chatTemplateInjection, flaxMsgpackMalformed, hydraTarget, pickleWeights, pythonCode, remoteCode, skopsUntrustedType, tfliteCustomOp, torchserveHandler, xmlExternalEntity } from "../../../src/scanners/model-folders/rules";
import { readXml } from "../../../src/scanners/model-folders/xml";

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
const tpl = (source: string, where = "chat_template"): TemplateDocument => ({ container: "tokenizer_config.json", templates: [{ source, where }] });

runRuleTests(chatTemplateInjection, {
  valid: [
    { name: "ChatML", doc: tpl(CHATML) },
    { name: "index arithmetic is not a hidden name", doc: tpl("{% for m in messages %}{% if loop.index0 > 0 and messages[loop.index0 - 1].role != 'tool' %}{{ m.content }}{% endif %}{% endfor %}") },
    { name: "namespace and split are ordinary", doc: tpl("{% set ns = namespace(sp='') %}{% set ns.sp = ns.sp + messages[0]['content'] %}{{ ns.sp.split('</think>')[-1] }}") },
    { name: "a dunder inside printed text is not a lookup", doc: tpl("{{ 'use __init__ wisely' }}{{ messages[0]['content'] }}") },
    { name: "plain text", doc: tpl("no template syntax here") },
  ],
  invalid: [
    { name: "cycler globals", doc: tpl("{{ cycler.__init__.__globals__.os.popen('id').read() }}"), findings: [{ severity: "critical", message: "`__globals__`", evidence: { analysedAs: "ast" } }] },
    { name: "attr with hex escapes", doc: tpl("{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}"), findings: [{ severity: "critical", message: "the attr filter reaches `__class__`" }] },
    { name: "name built by set and concatenation", doc: tpl("{% set a = '__cla' ~ 'ss__' %}{{ ''|attr(a) }}"), findings: [{ severity: "critical", message: "`__class__`" }] },
    { name: "name built by %c formatting and repetition", doc: tpl("{% set u = '%c'|format(95) %}{{ x|attr(u * 2 ~ 'init' ~ u * 2) }}"), findings: [{ severity: "critical", message: "`__init__`" }] },
    { name: "reversed", doc: tpl("{{ x|attr('__ssalc__'[::-1]) }}"), findings: [{ severity: "critical", message: "`__class__`" }] },
    { name: "dict keys joined", doc: tpl("{{ x|attr(dict(__cla=1, ss__=1)|join) }}"), findings: [{ severity: "critical", message: "`__class__`" }] },
    { name: "str.format", doc: tpl("{{ x|attr('{}{}class{}{}'.format('_','_','_','_')) }}"), findings: [{ severity: "critical", message: "`__class__`" }] },
    { name: "item access with a concatenated key", doc: tpl("{{ lipsum['__glo' ~ 'bals__'] }}"), findings: [{ severity: "critical", message: "item access reaches `__globals__`" }] },
    { name: "attr with a name only known at render time", doc: tpl("{{ x|attr(messages[0]['content']) }}"), findings: [{ severity: "high", message: "built at render time" }] },
    { name: "map filter naming a dunder", doc: tpl("{{ messages|map(attribute='__class__')|list }}"), findings: [{ severity: "critical", message: "`__class__`" }] },
    { name: "private name-mangled context", doc: tpl("{{ self._TemplateReference__context }}"), findings: [{ severity: "critical", message: "`_TemplateReference__context`" }] },
    { name: "statement the parser refuses: tokens", doc: tpl("{% with g = cycler.__init__ %}{{ g }}{% endwith %}"), findings: [{ severity: "critical", evidence: { analysedAs: "tokens" } }] },
    { name: "import statement", doc: tpl("{% import 'helpers.j2' as h %}{{ h.x() }}"), findings: [{ severity: "high", message: "`{% import %}`" }] },
    { name: "text the lexer refuses: decoded text", doc: tpl("{{ '\\x5f\\x5fclass\\x5f\\x5f }}"), findings: [{ severity: "high", evidence: { analysedAs: "text" } }] },
    { name: "named template in a list", doc: { container: "tokenizer_config.json", templates: [{ source: CHATML, where: "chat_template[0]" }, { source: "{{ ().__class__ }}", where: "chat_template[1]" }] }, findings: [{ message: "chat_template[1]" }] },
  ],
});

const hydra = (target: string): HydraDocument => ({ container: "YAML config", targets: [{ target, path: "model.encoder._target_", member: "model_config.yaml" }] });
runRuleTests(hydraTarget, {
  valid: [
    { name: "NeMo module", doc: hydra("nemo.collections.asr.modules.ConvASREncoder") },
    { name: "torch optimizer", doc: hydra("torch.optim.AdamW") },
  ],
  invalid: [
    { name: "builtins.exec", doc: hydra("builtins.exec"), findings: [{ severity: "critical", message: "CVE-2025-23304", location: { member: "model_config.yaml" } }] },
    { name: "os.system", doc: hydra("os.system"), findings: [{ severity: "critical" }] },
    { name: "dunder climb from a trusted root", doc: hydra("nemo.__class__.__init__"), findings: [{ severity: "critical" }] },
    { name: "unknown package", doc: hydra("evil_pkg.Loader"), findings: [{ severity: "high", message: "outside NeMo" }] },
  ],
});

runRuleTests(pythonCode, {
  valid: [{ name: "nothing", doc: { container: "archive", files: [] } satisfies PythonCodeDocument }],
  invalid: [
    { name: "source", doc: { container: "archive", files: [{ name: "loader.py", member: "pkg/loader.py", compiled: false }] }, findings: [{ severity: "medium", location: { member: "pkg/loader.py" } }] },
    { name: "bytecode", doc: { container: "model folder", files: [{ name: "m.pyc", uri: "m/__pycache__/m.pyc", compiled: true }] }, findings: [{ severity: "high", message: "compiled Python bytecode" }] },
  ],
});

const folder = (patch: Partial<ModelFolderDocument>): ModelFolderDocument => ({ folder: "models/x", remoteCode: [], trustRemoteCodeSetIn: [], safetensorsWeights: [], pickleWeights: [], ...patch });
const entry = { config: "config.json", autoClass: "AutoModel", reference: "modeling_x.XModel", file: "modeling_x.py", className: "XModel", fileExists: true };
runRuleTests(remoteCode, {
  valid: [{ name: "no auto_map", doc: folder({}) }],
  invalid: [
    { name: "auto_map", doc: folder({ remoteCode: [entry] }), findings: [{ message: "AutoModel → XModel in modeling_x.py", location: { uri: "models/x/config.json" } }] },
    { name: "foreign repository and missing file", doc: folder({ remoteCode: [{ ...entry, reference: "a/b--m.C", otherRepository: "a/b", file: "m.py", className: "C", fileExists: false }, { ...entry, autoClass: "AutoConfig", file: "configuration_x.py", fileExists: false }] }), findings: [{ message: /another repository \(a\/b\).*configuration_x\.py is not in the folder/ }] },
    { name: "trust_remote_code without auto_map", doc: folder({ trustRemoteCodeSetIn: ["config.json"] }), findings: [{ severity: "medium", message: "sets trust_remote_code" }] },
  ],
});

runRuleTests(pickleWeights, {
  valid: [{ name: "safetensors only", doc: folder({ safetensorsWeights: ["model.safetensors"] }) }],
  invalid: [
    { name: "beside safetensors", doc: folder({ safetensorsWeights: ["model.safetensors"], pickleWeights: ["pytorch_model.bin"] }), findings: [{ message: "load the safetensors file by default", evidence: { loaderPicks: "model.safetensors" } }] },
    { name: "pickle only", doc: folder({ pickleWeights: ["pytorch_model.bin"] }), findings: [{ severity: "low", evidence: { loaderPicks: "pytorch_model.bin" } }] },
  ],
});

const mar = (handler: string | undefined, pythonMembers: string[]): MarDocument => ({ manifest: { model: { handler } }, handler, pythonMembers });
runRuleTests(torchserveHandler, {
  valid: [{ name: "built-in handler", doc: mar("image_classifier", []) }],
  invalid: [
    { name: "custom handler", doc: mar("handler.py", ["handler.py"]), findings: [{ message: 'names handler "handler.py"' }] },
    { name: "module:function handler", doc: mar("my_handler:handle", []), findings: [{ message: "my_handler:handle" }] },
    { name: "extra python beside a built-in handler", doc: mar("text_classifier", ["utils.py"]), findings: [{ message: '"utils.py"' }] },
  ],
});

runRuleTests(xmlExternalEntity, {
  valid: [{ name: "PMML without DTD", doc: readXml('<?xml version="1.0"?>\n<PMML version="4.4"><Header/></PMML>')! }],
  invalid: [
    { name: "external entity", doc: readXml('<?xml version="1.0"?>\n<!DOCTYPE PMML [<!ENTITY x SYSTEM "file:///etc/passwd">]><PMML>&x;</PMML>')!, findings: [{ severity: "critical", message: "file:///etc/passwd" }] },
    { name: "parameter entity to a URL", doc: readXml('<!DOCTYPE net [<!ENTITY % p SYSTEM "http://a.example/x.dtd"> %p;]><net/>')!, findings: [{ severity: "critical", message: "%p" }] },
    { name: "external DTD", doc: readXml('<!DOCTYPE net PUBLIC "-//X//EN" "http://a.example/net.dtd"><net/>')!, findings: [{ severity: "critical", message: "http://a.example/net.dtd" }] },
    { name: "internal entities", doc: readXml('<!DOCTYPE net [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><net name="&b;"/>')!, findings: [{ severity: "high", message: "billion laughs" }] },
    { name: "bare doctype", doc: readXml("<!DOCTYPE net><net/>")!, findings: [{ severity: "low" }] },
  ],
});

const kerasDoc = (layers: unknown[]): KerasDocument => ({ container: "keras-zip", config: { class_name: "Sequential", config: { name: "s", layers } }, pythonMembers: [] });
const dense = { module: "keras.layers", class_name: "Dense", config: { name: "d", units: 2 } };
runRuleTests(kerasLoaderGadget, {
  valid: [
    { name: "Dense", doc: kerasDoc([dense]) },
    { name: "relative vocabulary inside the model", doc: kerasDoc([{ module: "keras.layers", class_name: "StringLookup", config: { name: "l", vocabulary: "assets/vocab.txt" } }]) },
  ],
  invalid: [
    { name: "enable_unsafe_deserialization as activation", doc: kerasDoc([{ ...dense, config: { name: "d", activation: { module: "keras.config", class_name: "function", config: "enable_unsafe_deserialization" } } }]), findings: [{ message: "`keras.config.enable_unsafe_deserialization`" }] },
    { name: "get_file as a layer", doc: kerasDoc([{ module: "keras.utils", class_name: "get_file", config: { origin: "https://x.example/a" } }]), findings: [{ message: "`keras.utils.get_file`" }, { severity: "high", message: "https://x.example/a" }] },
    { name: "absolute vocabulary path", doc: kerasDoc([{ module: "keras.layers", class_name: "StringLookup", config: { name: "l", vocabulary: "/etc/passwd" } }]), findings: [{ severity: "high", message: '"/etc/passwd"' }] },
  ],
});

const skops = (types: Array<[string, string]>): SkopsDocument => ({ protocol: 2, types: types.map(([type, loader], i) => ({ type, loader, path: `content.content.f${i}` })) });
runRuleTests(skopsUntrustedType, {
  valid: [{ name: "scikit-learn, numpy and builtins", doc: skops([["sklearn.linear_model._logistic.LogisticRegression", "ObjectNode"], ["numpy.ndarray", "NdArrayNode"], ["builtins.dict", "DictNode"]]) }],
  invalid: [
    { name: "os.system function", doc: skops([["os.system", "FunctionNode"]]), findings: [{ severity: "critical", message: "`os.system`", location: { member: "schema.json" } }] },
    { name: "_operator.methodcaller", doc: skops([["_operator.methodcaller", "OperatorFuncNode"]]), findings: [{ severity: "critical" }] },
    { name: "builtins.eval is not a trusted builtin", doc: skops([["builtins.eval", "FunctionNode"]]), findings: [{ severity: "critical" }] },
    { name: "custom class, reported once", doc: skops([["mypkg.Model", "ObjectNode"], ["mypkg.Model", "ObjectNode"]]), findings: [{ severity: "high", message: "must be trusted explicitly" }] },
  ],
});

const tflite = (customOps: Array<[string, number]>): TfliteDocument => ({ version: 3, builtinOps: 1, subgraphs: 1, customOps: customOps.map(([name, uses]) => ({ name, uses })) });
runRuleTests(tfliteCustomOp, {
  valid: [{ name: "builtins only", doc: tflite([]) }],
  invalid: [
    { name: "Flex WriteFile", doc: tflite([["FlexWriteFile", 1]]), findings: [{ severity: "high", message: "TensorFlow op WriteFile through the Flex delegate", evidence: { tensorflowOp: "WriteFile" } }] },
    { name: "Flex PyFunc", doc: tflite([["FlexPyFunc", 2]]), findings: [{ severity: "critical", message: "2 uses" }] },
    { name: "custom kernel", doc: tflite([["MyKernel", 1]]), findings: [{ severity: "medium", message: '"MyKernel"' }] },
  ],
});

const fixture = (p: string): Buffer => readFileSync(join(__dirname, "../../../fixtures/model-folders", p));
describe("readers over the fixtures", () => {
  it("reads a Flax parameter tree: every array and scalar checked", () => {
    expect(readFlaxMsgpack(fixture("benign/flax/flax_model.msgpack"))).toEqual({ arrays: 5, problems: [] });
  });
  it("reads TFLite operator codes and their uses", () => {
    expect(readTflite(fixture("benign/add.tflite"))).toMatchObject({ version: 3, builtinOps: 1, subgraphs: 1, customOps: [] });
    expect(readTflite(fixture("malicious/flex-readfile.tflite")).customOps).toEqual([{ name: "FlexReadFile", uses: 1 }]);
    expect(() => readTflite(fixture("benign/truncated.tflite"))).toThrow(TfliteError);
  });
  it("refuses msgpack whose top level is not a map", () => {
    expect(() => readFlaxMsgpack(Uint8Array.from([0x93, 1, 2, 3]))).toThrow(FlaxError);
  });
});

runRuleTests(flaxMsgpackMalformed, {
  valid: [{ name: "well-formed tree", doc: { arrays: 3, problems: [] } }],
  invalid: [{ name: "size mismatch", doc: { arrays: 1, problems: [{ path: "params.w", problem: "array of shape [2] float32 needs 8 bytes but holds 4" }] }, findings: [{ message: "at params.w, array of shape [2] float32 needs 8 bytes" }] }],
});
