// Keras 3 configs that stay inside the `keras` module root yet still run what the publisher
// chose: functions such as enable_unsafe_deserialization or get_file named where a layer is
// expected (CVE-2025-1550 and its bypasses), and paths or URLs that loading reads.

import { ARCHIVE_KINDS } from "../kinds";
import type { Rule } from "../../../types";
import { modelFolderLists } from "../../model-folders/documents";
import { layerName, walkConfig, type KerasDocument } from "../formats/keras";

const URL = /^(https?|ftp|gs|s3|hdfs|file):\/\//i;

export const kerasLoaderGadget: Rule<KerasDocument> = {
  meta: {
    id: "artifact/keras-loader-gadget",
    appliesTo: { kinds: ["hdf5", ...ARCHIVE_KINDS] },
    messages: { found: "{{message}}" },
  },
  check(doc, ctx) {
    const { loaderGadgets, remotePathKeys } = modelFolderLists().keras;
    const gadgets = new Map(loaderGadgets.map((g) => [g.name, g.reason]));
    for (const { path, obj } of walkConfig(doc.config)) {
      const cls = typeof obj["class_name"] === "string" ? (obj["class_name"] as string) : "";
      // Keras 3 serialises a function as { class_name: "function", config: "<name>", module: ... }.
      const fn = cls === "function" && typeof obj["config"] === "string" ? (obj["config"] as string) : undefined;
      const registered = typeof obj["registered_name"] === "string" ? (obj["registered_name"] as string).replace(/^.*>/, "") : undefined;
      const name = [fn, cls, registered].find((n) => n !== undefined && gadgets.has(n));
      if (name) {
        const module = typeof obj["module"] === "string" ? `${obj["module"] as string}.` : "";
        ctx.report({
          messageId: "found",
          data: { message: `Keras config at ${path} calls \`${module}${name}\` while loading, which ${gadgets.get(name)!}.` },
          evidence: { callable: `${module}${name}`, configPath: path, container: doc.container },
          fingerprintKey: `gadget:${path}:${name}`,
        });
      }
      for (const key of remotePathKeys) {
        const v = obj[key];
        if (typeof v !== "string") continue;
        const remote = URL.test(v);
        const local = !remote && (/^(\/|[A-Za-z]:\\)/.test(v) || v.split(/[\\/]/).includes(".."));
        if (!remote && !local) continue;
        ctx.report({
          messageId: "found",
          data: { message: `Keras config at ${path}.${key} (layer ${JSON.stringify(layerName(obj))}) makes loading read ${remote ? "the URL" : "the path"} ${JSON.stringify(v)} ${remote ? "from the network" : "outside the model"}.` },
          severity: "high",
          evidence: { key, value: v, configPath: path, container: doc.container },
          fingerprintKey: `path:${path}.${key}`,
        });
      }
    }
  },
};
