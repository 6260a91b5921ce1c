/**
 * The gRPC server kit shared by the services: `runService` (bootstrap),
 * `implement` and its call pipeline, error mapping, the client, paging,
 * caller identity and the authorization policy.
 * The pipeline's steps, health, reflection and serve are its internals.
 */
export { toServiceDefinition } from "./service-definition.js";
export {
  implement,
  pipeline,
  type MethodHandler,
  type UnaryHandlers,
  type ServiceHandlers,
  type ImplementOptions,
} from "./implement.js";
export type { ServerStream } from "./server-stream.js";
export { OpenStreams, type StreamObserver } from "./open-streams.js";
export { ServerShuttingDownError } from "./server-shutting-down-error.js";
export { ConnectionClosingError } from "./connection-closing-error.js";
export { composeMiddleware, type Middleware, type Next, type UnaryCall, type UnaryMethod } from "./middleware.js";
export {
  decodeRequest,
  undecodableRequest,
  undecodableProblem,
  UndecodableRequestError,
  type UndecodableProblem,
} from "./undecodable-request.js";
export { validateRequest } from "./request-validation.js";
export { causeChain } from "./cause-chain.js";
export type { CallContext } from "./call-context.js";
export type { CallObserver } from "./observe-calls.js";
export { toStatus, statusCodeOf, ERROR_DOMAIN, type MappedStatus } from "./status-details.js";
export { createLogger, type Logger } from "./logger.js";
export { readServerConfig, type ServerConfig } from "./server-config.js";
export { serve, type ServedService, type RunningServer } from "./server.js";
export { ReadinessFlag, type ReadinessSource } from "./readiness.js";
export { bind, type Binding } from "./binding.js";
export {
  runService,
  startService,
  type ServiceSpec,
  type StartContext,
  type OpenedStores,
  type BaseServiceConfig,
} from "./bootstrap.js";
export { createClient, type PromiseClient, type ClientCallOptions, type ClientOptions } from "./client.js";
export { clientTarget } from "./client-target.js";
export { decodeStatusDetails } from "./decode-status-details.js";
export { encodePageToken, decodePageToken, pageSize } from "./paging.js";
export { ServiceMetrics } from "./metrics.js";
export { statusDetailsToJson, bufCurlErrorToJson } from "./error-details-json.js";
export { AuthzPolicy, POLICY_VARIABLE } from "./authz-policy.js";
export {
  resolveAuthorization,
  readAuthzConfig,
  ALLOW_ALL,
  ALLOW_ALL_VARIABLE,
  type Authorization,
  type AuthzConfig,
} from "./authorization.js";
export { authorizeCalls, type PermissionDenial } from "./authorize-calls.js";
export { ANYONE } from "./identity-pattern.js";
export { identityOfCertificate } from "./caller-identity.js";
export { callerOf, peerAddress, CLIENT_ADDRESS_HEADER } from "./caller.js";
