/** Tests run from the TypeScript sources through swc; integration tests spawn the built `dist/`. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/base", "<rootDir>/x", "<rootDir>/app", "<rootDir>/lib", "<rootDir>/client", "<rootDir>/sidecar", "<rootDir>/server", "<rootDir>/cmd", "<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.(t|j|mj)s$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } }, module: { type: "commonjs" } }],
  },
  // CosmJS and @ethereumjs load the ESM-only @noble/@scure packages with require(); jest's
  // loader cannot, so those two are transformed to CommonJS.
  transformIgnorePatterns: ["/node_modules/(?!(@noble|@scure)/)(?!.*/node_modules/(@noble|@scure)/)"],
  testTimeout: 30000,
};
