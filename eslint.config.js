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
  // Decisions on error text break silently when a message is reworded (or comes from a
  // dependency): src/ decides on typed errors (a class or a `code` field set where it is thrown).
  {
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name=/^(test|exec|match|matchAll|search)$/] > MemberExpression.arguments[property.name='message']",
          message: "Do not decide on an error's message text: throw a typed error (an Error subclass or a `code` field) and test that.",
        },
        {
          selector: "CallExpression > MemberExpression.callee[property.name=/^(includes|startsWith|endsWith|indexOf|match|search)$/] > MemberExpression.object[property.name='message']",
          message: "Do not decide on an error's message text: throw a typed error (an Error subclass or a `code` field) and test that.",
        },
        {
          selector: "CallExpression[callee.property.name=/^(test|exec|match)$/] > CallExpression.arguments[callee.name='String']",
          message: "Do not decide on the text of String(error): throw a typed error (an Error subclass or a `code` field) and test that.",
        },
      ],
    },
  },
  // test/ and bench/ are linted with the same rules as src/ (npm test: eslint src bin test bench).
  // The one relaxation: tests assert on messages, so the error-text ban above is src/-only.
  // Anything else a test needs (an `any` at a JSON boundary, a require of dist/) is typed or
  // allowed like in src/ rather than switched off here.
  {
    files: ["src/testing/**/*.ts"],
    // The RuleTester checks the message a rule printed, as ESLint's does: that is its job.
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["**/*.js"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
