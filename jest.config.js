/**
 * One Jest run over every package and service. TypeScript is compiled by SWC
 * (TypeScript 7 has no JS API for ts-jest) as native ESM, like production runs
 * it under tsx; types are checked separately by `pnpm typecheck`.
 */
const swc = [
  "@swc/jest",
  {
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "es6" },
  },
];

/** @type {import('jest').Config} */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: { "^.+\\.ts$": swc },
  // Source imports use the .js extension (NodeNext); map them back to .ts.
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testMatch: ["<rootDir>/{packages,services}/*/{src,test}/**/*.spec.ts", "<rootDir>/test/**/*.spec.ts"],
  // Container tests need a Docker Engine: `pnpm test:containers` (jest.containers.config.js).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/containers/"],
  testTimeout: 30_000,
  reporters: ["default", "<rootDir>/scripts/summary-reporter.js"],
  // Tests start real redis-server and service processes: keep the 2 cores calm.
  maxWorkers: 2,
};
