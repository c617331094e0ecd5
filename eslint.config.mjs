/**
 * ESLint flat config. Its one real job is SPEC §6: state machine code (base/, x/, app/) must be
 * deterministic, so every node computes the same app hash. The determinism rules below make
 * `npm run lint` (and test/determinism.test.ts) fail on clocks, randomness, the environment,
 * timers, floating point, locale and JSON hashing. Everything else stays minimal: the
 * TypeScript parser for every .ts file and no style rules.
 */
import tseslint from "typescript-eslint";

const why = "state machine code must give the same result on every node (SPEC §6)";

/** Random-number and entropy APIs, whatever object they are reached through (`crypto`, `webcrypto`, an alias). */
const RANDOM_APIS = "randomBytes|randomUUID|getRandomValues|randomInt|randomFill|randomFillSync|pseudoRandomBytes";

const determinismRules = {
  "no-restricted-properties": [
    "error",
    { object: "Math", property: "random", message: `Math.random is not deterministic; ${why}. Derive randomness from block data.` },
    { object: "Date", property: "now", message: `Date.now reads the wall clock; ${why}. Use the block height or ctx.block.timeSeconds.` },
    { object: "performance", property: "now", message: `performance.now reads a clock; ${why}.` },
    { object: "Number", property: "parseFloat", message: `Number.parseFloat makes a float; ${why}. Amounts are bigint, fractions are ppm integers.` },
  ],
  "no-restricted-globals": [
    "error",
    { name: "process", message: `process.* (env, argv, hrtime, nextTick, ...) is node-local; ${why}. Pass configuration in explicitly.` },
    { name: "parseFloat", message: `parseFloat makes a float; ${why}. Amounts are bigint, fractions are ppm integers.` },
    { name: "setTimeout", message: `Timers depend on wall time; ${why}. Count protocol windows in blocks.` },
    { name: "setInterval", message: `Timers depend on wall time; ${why}. Count protocol windows in blocks.` },
    { name: "setImmediate", message: `Timers depend on scheduling; ${why}.` },
    { name: "Intl", message: `Intl output depends on the node's locale and ICU data; ${why}.` },
  ],
  "no-restricted-imports": [
    "error",
    {
      paths: [
        { name: "process", message: `process.* is node-local; ${why}.` },
        { name: "node:process", message: `process.* is node-local; ${why}.` },
        { name: "perf_hooks", message: `Clocks are not deterministic; ${why}.` },
        { name: "node:perf_hooks", message: `Clocks are not deterministic; ${why}.` },
        { name: "timers", message: `Timers depend on wall time; ${why}.` },
        { name: "node:timers", message: `Timers depend on wall time; ${why}.` },
        { name: "timers/promises", message: `Timers depend on wall time; ${why}.` },
        { name: "node:timers/promises", message: `Timers depend on wall time; ${why}.` },
      ],
    },
  ],
  "no-restricted-syntax": [
    "error",
    { selector: "NewExpression[callee.name='Date']", message: `new Date() reads the wall clock; ${why}. Use ctx.block.timeSeconds.` },
    { selector: "CallExpression[callee.name='Date']", message: `Date() reads the wall clock; ${why}. Use ctx.block.timeSeconds.` },
    // A numeric literal written with a decimal point or an exponent (0.5, .5, 1e3); hex/binary/octal and bigint literals are fine.
    { selector: "Literal[raw=/^(?!0[xXbBoO])[0-9_]*([.]|[eE])/]", message: `Floating-point literal; ${why}. Use bigint or integer ppm.` },
    { selector: "MemberExpression[property.name='toFixed']", message: `.toFixed formats a float; ${why}. Format bigint amounts instead.` },
    { selector: "MemberExpression[property.name=/^(toLocaleString|toLocaleDateString|toLocaleTimeString|toLocaleUpperCase|toLocaleLowerCase|localeCompare)$/]", message: `Locale-dependent formatting or ordering; ${why}. Compare code units / bytes instead.` },
    // Error messages may quote values with JSON.stringify; anywhere else it could end up hashed or stored.
    {
      selector: "MemberExpression[object.name='JSON'][property.name='stringify']:not(ThrowStatement *)",
      message: `JSON.stringify is not a canonical encoding; ${why}. Hash and store canonical protobuf bytes (it is allowed inside a throw, for error messages).`,
    },
    { selector: `MemberExpression[property.name=/^(${RANDOM_APIS})$/]`, message: `Random bytes are not deterministic; ${why}. Derive randomness from block data.` },
    { selector: `ImportSpecifier[imported.name=/^(${RANDOM_APIS}|webcrypto)$/]`, message: `Random bytes are not deterministic; ${why}. Derive randomness from block data.` },
  ],
};

export default [
  { ignores: ["dist/", "gen/", "node_modules/"] },
  {
    files: ["{base,x,app,lib,client,sidecar,server,cmd,test,bench}/**/*.ts"],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: "module" },
    // Registered so existing `eslint-disable` comments that name its rules resolve; none is enabled.
    plugins: { "@typescript-eslint": tseslint.plugin },
  },
  {
    files: ["base/**/*.ts", "x/**/*.ts", "app/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: determinismRules,
  },
];
