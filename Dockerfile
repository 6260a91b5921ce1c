# One image recipe for every service; pick it with the SERVICE build arg:
#   docker build --build-arg SERVICE=session-svc --build-arg PORT=50051 .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN npm install -g pnpm@12
WORKDIR /repo
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm --filter "@faultmaven/${SERVICE}" deploy --prod /out

FROM ${NODE_IMAGE}
ARG PORT
ENV NODE_ENV=production ENVIRONMENT=production GRPC_PORT=${PORT}
WORKDIR /app
COPY --from=build --chown=node:node /out ./
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "--import", "tsx", "node_modules/@faultmaven/grpc-kit/src/healthcheck-cli.ts"]
CMD ["node", "--import", "tsx", "src/main.ts"]
