// Keras rules: Lambda layers (marshalled Python bytecode) and configs that make Keras
// import or unpickle code outside Keras.

import type { RuleModule } from "../../../core/rule";
import { layerName, walkConfig, type KerasDocument } from "../formats/keras";
import { formatLists } from "../formats/lists";
import { kerasLoaderGadget } from "./keras-gadgets";

export const kerasLambda: RuleModule<KerasDocument> = {
  id: "artifact/keras-lambda",
  check(doc, ctx) {
    const lists = formatLists().keras;
    for (const { path, obj } of walkConfig(doc.config)) {
      const cls = obj["class_name"];
      if (typeof cls !== "string" || !lists.codeLayers.includes(cls)) continue;
      const cfg = (obj["config"] ?? {}) as Record<string, unknown>;
      const fnType = typeof cfg["function_type"] === "string" ? (cfg["function_type"] as string) : "";
      const fn = cfg["function"];
      const bytecode = Array.isArray(fn) && typeof fn[0] === "string" ? "marshalled bytecode" : fn && typeof fn === "object" ? "serialized function" : typeof fn === "string" ? `function ${fn}` : "code";
      ctx.report({
        message: `Keras ${cls} layer ${JSON.stringify(layerName(obj))} carries ${bytecode} that runs when the model is loaded or called (${doc.container} config at ${path}).`,
        evidence: { layer: layerName(obj), className: cls, functionType: fnType, configPath: path, container: doc.container },
        fingerprintKey: `${cls}:${layerName(obj)}:${path}`,
      });
    }
  },
};

export const kerasUnsafeConfig: RuleModule<KerasDocument> = {
  id: "artifact/keras-unsafe-config",
  check(doc, ctx) {
    const lists = formatLists().keras;
    const allowed = (module: string): boolean => lists.allowedModulePrefixes.some((p) => module === p || module.startsWith(p + "."));
    // Code layers are artifact/keras-lambda's findings; their inner configs are not reported twice.
    const codeLayerConfigs = new Set<string>();
    for (const { path, obj } of walkConfig(doc.config)) {
      if (typeof obj["class_name"] === "string" && lists.codeLayers.includes(obj["class_name"] as string)) codeLayerConfigs.add(`${path}.config`);
    }
    for (const { path, obj } of walkConfig(doc.config)) {
      const cls = typeof obj["class_name"] === "string" ? (obj["class_name"] as string) : "";
      if (lists.dangerousClasses.includes(cls)) {
        ctx.report({
          message: `Keras layer ${JSON.stringify(layerName(obj))} is a ${cls}, which unpickles a serialized module when the model is loaded (${doc.container} config at ${path}).`,
          severity: "critical",
          evidence: { layer: layerName(obj), className: cls, configPath: path, container: doc.container },
          fingerprintKey: `class:${cls}:${path}`,
        });
        continue;
      }
      if (lists.functionClasses.includes(cls) && !codeLayerConfigs.has(path.replace(/\.function$/, ""))) {
        ctx.report({
          message: `Keras config at ${path} holds a serialized Python function (${cls}) that runs when the model is loaded without safe mode.`,
          severity: "critical",
          evidence: { className: cls, configPath: path, container: doc.container },
          fingerprintKey: `function-class:${path}`,
        });
        continue;
      }
      const module = obj["module"];
      if (typeof module === "string" && cls && !allowed(module)) {
        ctx.report({
          message: `Keras config names \`${module}.${cls}\` at ${path}, a module outside Keras that loading imports and calls.`,
          evidence: { module, className: cls, configPath: path, container: doc.container },
          fingerprintKey: `module:${module}.${cls}`,
        });
      }
      const fnType = obj["function_type"];
      if (typeof fnType === "string" && lists.dangerousFunctionTypes.includes(fnType) && !codeLayerConfigs.has(path)) {
        ctx.report({
          message: `Keras config at ${path} holds a serialized Python ${fnType} that runs when the model is loaded.`,
          evidence: { functionType: fnType, configPath: path, container: doc.container },
          fingerprintKey: `function:${path}`,
        });
      }
    }
    for (const member of doc.pythonMembers) {
      ctx.report({
        message: `The .keras archive holds Python source ${JSON.stringify(member)}, which custom-object loading may import and run.`,
        location: { member },
        evidence: { member, container: doc.container },
        fingerprintKey: `py:${member}`,
      });
    }
  },
};

// Loader gadgets (Keras functions named where a layer is expected) live in keras-gadgets.ts.
export const kerasRules = [kerasLambda, kerasUnsafeConfig, kerasLoaderGadget];
