/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type checking is done once by `tsc -p tsconfig.test.json` in `npm test`; ts-jest only transpiles.
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.test.json", isolatedModules: true, diagnostics: false }],
  },
  testTimeout: 60000,
  // TensorFlow.js is one esbuild bundle (src/probes/tfjs.d.ts says why), built before the tests.
  globalSetup: "<rootDir>/scripts/jest-global-setup.js",
  // Temp folders: every test file's are removed after it, and the run must leave none (test/helpers/temp.ts).
  setupFilesAfterEnv: ["<rootDir>/test/helpers/temp-setup.ts"],
  globalTeardown: "<rootDir>/scripts/jest-global-teardown.js",
  moduleNameMapper: {
    "^\\./tfjs$": "<rootDir>/dist/src/probes/tfjs.js",
    // onnxruntime-web must load outside jest's sandbox (test/probes/ort-environment.js says why).
    "^onnxruntime-web$": "<rootDir>/test/probes/ort-web-host.js",
  },
};
