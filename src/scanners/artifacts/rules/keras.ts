// Keras rules: Lambda layers (marshalled Python bytecode) and configs that make Keras
// import or unpickle code outside Keras.

import { ARCHIVE_KINDS } from "../kinds";
import type { Rule } from "../../../types";
import { layerName, walkConfig, type KerasDocument } from "../formats/keras";
import { formatLists } from "../formats/lists";

export const kerasLambda: Rule<KerasDocument> = {
  meta: {
    id: "artifact/keras-lambda",
    appliesTo: { kinds: ["hdf5", ...ARCHIVE_KINDS] },
    messages: {
      found: "Keras {{cls}} layer {{obj}} carries {{bytecode}} that runs when the model is loaded or called ({{container}} config at {{path}}).",
    },
  },
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
        messageId: "found", data: { cls, obj: JSON.stringify(layerName(obj)), bytecode, container: doc.container, path },
        evidence: { layer: layerName(obj), className: cls, functionType: fnType, configPath: path, container: doc.container },
        fingerprintKey: `${cls}:${layerName(obj)}:${path}`,
      });
    }
  },
};

export const kerasUnsafeConfig: Rule<KerasDocument> = {
  meta: {
    id: "artifact/keras-unsafe-config",
    appliesTo: { kinds: ["hdf5", ...ARCHIVE_KINDS] },
    messages: {
      found: "Keras layer {{obj}} is a {{cls}}, which unpickles a serialized module when the model is loaded ({{container}} config at {{path}}).",
      found2: "Keras config at {{path}} holds a serialized Python function ({{cls}}) that runs when the model is loaded without safe mode.",
      found3: "Keras config names `{{module}}.{{cls}}` at {{path}}, a module outside Keras that loading imports and calls.",
      found4: "Keras config at {{path}} holds a serialized Python {{fnType}} that runs when the model is loaded.",
      found5: "The .keras archive holds Python source {{member}}, which custom-object loading may import and run.",
    },
  },
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
          messageId: "found", data: { obj: JSON.stringify(layerName(obj)), cls, container: doc.container, path },
          severity: "critical",
          evidence: { layer: layerName(obj), className: cls, configPath: path, container: doc.container },
          fingerprintKey: `class:${cls}:${path}`,
        });
        continue;
      }
      if (lists.functionClasses.includes(cls) && !codeLayerConfigs.has(path.replace(/\.function$/, ""))) {
        ctx.report({
          messageId: "found2", data: { path, cls },
          severity: "critical",
          evidence: { className: cls, configPath: path, container: doc.container },
          fingerprintKey: `function-class:${path}`,
        });
        continue;
      }
      const module = obj["module"];
      if (typeof module === "string" && cls && !allowed(module)) {
        ctx.report({
          messageId: "found3", data: { module, cls, path },
          evidence: { module, className: cls, configPath: path, container: doc.container },
          fingerprintKey: `module:${module}.${cls}`,
        });
      }
      const fnType = obj["function_type"];
      if (typeof fnType === "string" && lists.dangerousFunctionTypes.includes(fnType) && !codeLayerConfigs.has(path)) {
        ctx.report({
          messageId: "found4", data: { path, fnType },
          evidence: { functionType: fnType, configPath: path, container: doc.container },
          fingerprintKey: `function:${path}`,
        });
      }
    }
    for (const member of doc.pythonMembers) {
      ctx.report({
        messageId: "found5", data: { member: JSON.stringify(member) },
        location: { member },
        evidence: { member, container: doc.container },
        fingerprintKey: `py:${member}`,
      });
    }
  },
};

export const kerasRules = [kerasLambda, kerasUnsafeConfig];
