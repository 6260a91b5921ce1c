# One image recipe for every service; pick it with the SERVICE build arg:
#   docker build --build-arg SERVICE=session-svc --build-arg PORT=50051 -t faultmaven/session-svc .
# The image runs compiled JavaScript (`pnpm build`) as the non-root user
# `node`, and works with a read-only root filesystem (docker run --read-only).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN npm install -g pnpm@12
WORKDIR /repo
# Packages first: this layer is reused until the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
# Shared by every service's image (SERVICE is not used yet, so the layers are too).
RUN pnpm install --offline --frozen-lockfile && pnpm build
ARG SERVICE
# A flat (hoisted) node_modules holding the service's production dependencies
# and its workspace packages' ones, which the bundle in dist/ imports. Not
# kept: the workspace sources (bundled) and the chromadb package's native
# server bindings (400 MB, used only by its `chroma` CLI; report-svc talks
# to ChromaDB over HTTP).
RUN test -n "${SERVICE}" || { echo "set --build-arg SERVICE=<name>-svc" >&2; exit 1; } \
 && pnpm --config.node-linker=hoisted --filter "@faultmaven/${SERVICE}" deploy --prod /out \
 && cp -r "services/${SERVICE}/dist" /out/dist \
 && rm -rf /out/src /out/test /out/node_modules/@faultmaven /out/node_modules/.pnpm /out/pnpm-lock.yaml /out/pnpm-workspace.yaml \
 && rm -rf /out/node_modules/chromadb-js-bindings-*

FROM ${NODE_IMAGE}
ARG PORT
ENV NODE_ENV=production ENVIRONMENT=production GRPC_PORT=${PORT}
WORKDIR /app
# Owned by root: the service cannot change its own code.
COPY --from=build /out ./
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "dist/healthcheck.js"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
