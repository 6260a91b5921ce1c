/**
 * `pnpm test:containers`: the services' production images under a Docker
 * Engine (scripts/containers/test.sh starts one). Not part of `pnpm test`.
 * One file at a time: image builds and containers are heavy on 2 cores.
 */
import base from "./jest.config.js";

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ["<rootDir>/test/containers/**/*.containers.spec.ts"],
  testPathIgnorePatterns: [],
  testTimeout: 180_000,
  maxWorkers: 1,
};
