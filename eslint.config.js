// Lint: typescript-eslint's recommended rules plus the layer boundaries of docs/architecture.md:
// types <- core <- scanners / probes <- compliance / reporters <- cli <- bin. Each layer may
// import only from layers to its left; core reaches scanners only by module path (src/plugins.ts).
const tseslint = require("typescript-eslint");

/** Forbids imports of the named top-level folders of src/ from files in `dir`. */
function layer(dir, forbidden, allow = []) {
  return {
    files: [`src/${dir}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: forbidden.map((f) => ({
            regex: `^(\\.\\./)+${f}(/|$)(?!${allow.map((a) => a.replace(/\//g, "\\/")).join("|") || "$^"})`,
            message: `src/${dir} may not import src/${f} (layers: types <- core <- scanners/probes <- compliance/reporters <- cli <- bin; see docs/architecture.md).`,
          })),
        },
      ],
    },
  };
}

module.exports = tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bench/.data/**", "fixtures/**", "coverage/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // The codebase uses `as` and non-null assertions deliberately at parsing boundaries.
      "@typescript-eslint/no-non-null-assertion": "off",
      // Heavy modules (tfjs, onnxruntime) are loaded lazily with require() inside functions.
      "@typescript-eslint/no-require-imports": "off",
      // Comma sequences in loop bodies are used deliberately in hot loops.
      "@typescript-eslint/no-unused-expressions": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  layer("types", ["core", "scanners", "probes", "compliance", "reporters", "cli", "plugins"]),
  layer("core", ["scanners", "probes", "compliance", "reporters", "cli"]),
  layer("scanners", ["probes", "compliance", "reporters", "cli"]),
  // Documented exception: aigis probe reads its data with the dataset scanner's loaders (their public entry).
  layer("probes", ["scanners", "compliance", "reporters", "cli"], ["datasets/loaders\"?$"]),
  layer("compliance", ["reporters", "cli", "scanners", "probes"]),
  layer("reporters", ["cli", "scanners", "probes"]),
  // Documented exception: `aigis verify` calls the protection scanner's one-artifact verifier.
  layer("cli", ["scanners"], ["protection/verify\"?$"]),
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.js"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
