/**
 * `pnpm build`: compiles each service to plain JavaScript for its production
 * image: services/<name>/dist/main.js (the service) and dist/healthcheck.js
 * (the container health probe), so nothing loads TypeScript at run time.
 * The workspace packages (TypeScript sources) are bundled in; every other
 * package stays an import resolved from the image's node_modules, so native
 * modules (argon2, Chroma's bindings) load exactly as installed.
 * Types are checked by `pnpm typecheck`, not here.
 */
import { readdirSync } from "node:fs";
import { build, type Plugin } from "esbuild";

const externalDependencies: Plugin = {
  name: "external-dependencies",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@faultmaven/") ? undefined : { path: args.path, external: true },
    );
  },
};

const services = process.argv.slice(2).length > 0 ? process.argv.slice(2) : readdirSync("services");
for (const service of services) {
  const started = performance.now();
  await build({
    entryPoints: {
      main: `services/${service}/src/main.ts`,
      healthcheck: "packages/grpc-kit/src/healthcheck-cli.ts",
    },
    outdir: `services/${service}/dist`,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    plugins: [externalDependencies],
    logLevel: "warning",
  });
  console.log(`built services/${service}/dist in ${Math.round(performance.now() - started)} ms`);
}
