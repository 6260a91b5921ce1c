import type { DescService } from "@bufbuild/protobuf";
import { ConfigError, type EnvReader } from "@faultmaven/config";
import type { Logger } from "pino";
import { AuthzPolicy, POLICY_VARIABLE } from "./authz-policy.js";
import type { ServiceAccess } from "./method-access.js";

/** The explicit switch that lets a production process run without a policy. */
export const ALLOW_ALL_VARIABLE = "AUTHZ_ALLOW_ALL_CALLERS";

/** AUTHZ_POLICY_FILE (the policy, loaded and checked) and AUTHZ_ALLOW_ALL_CALLERS. */
export interface AuthzConfig {
  readonly policy: AuthzPolicy | undefined;
  readonly allowAllCallers: boolean;
}

export function readAuthzConfig(env: EnvReader): AuthzConfig {
  const file = env.string(POLICY_VARIABLE);
  const allowAllCallers = env.boolean(ALLOW_ALL_VARIABLE, false);
  if (file !== undefined && allowAllCallers) {
    throw new ConfigError(ALLOW_ALL_VARIABLE, `contradicts ${POLICY_VARIABLE}: set one or the other`);
  }
  return { policy: file === undefined ? undefined : AuthzPolicy.load(file), allowAllCallers };
}

/** How a server decides who may call what, once settled at start. */
export interface Authorization {
  /** Whether the caller may pass the end user's address in metadata (see caller.ts). */
  trustsClientAddressFrom(identity: string | undefined): boolean;
  /** Who may call the methods of `service`; undefined when every caller may call all of them. */
  accessFor(service: DescService): ServiceAccess | undefined;
}

/** No checks: every caller may call every method, and no one may name the end user's address. */
export const ALLOW_ALL: Authorization = { trustsClientAddressFrom: () => false, accessFor: () => undefined };

/**
 * Settles authorization at start. With a policy, it is enforced. Without
 * one, production refuses to start unless AUTHZ_ALLOW_ALL_CALLERS=true says
 * to let everyone in (and that is logged loudly); development lets everyone
 * in with a warning. A policy without mutual TLS can only grant to
 * `<anyone>`: no caller has an identity then, which is warned about.
 */
export function resolveAuthorization(
  config: AuthzConfig,
  options: { environment: string; mutualTls: boolean; logger: Logger },
): Authorization {
  const { policy } = config;
  const { logger } = options;
  if (policy !== undefined) {
    logger.info({ policy_file: policy.file }, "authorization policy loaded");
    if (!options.mutualTls) {
      logger.warn(
        { policy_file: policy.file },
        'no mutual TLS (GRPC_TLS_CLIENT_CA_FILE unset): callers have no identity, so only the policy\'s "<anyone>" entries grant anything',
      );
    }
    return {
      trustsClientAddressFrom: (identity) => policy.trustsClientAddressFrom(identity),
      accessFor(service) {
        if (!policy.covers(service.typeName)) {
          logger.warn(
            { policy_file: policy.file, service: service.typeName },
            "the policy names no rule for this service: every call to it is denied",
          );
        }
        return policy.accessFor(service);
      },
    };
  }
  if (config.allowAllCallers) {
    logger.warn(`${ALLOW_ALL_VARIABLE}=true: NO AUTHORIZATION, every caller may call every method (set ${POLICY_VARIABLE} instead)`);
  } else if (options.environment === "production") {
    throw new ConfigError(
      POLICY_VARIABLE,
      `ENVIRONMENT=production needs an authorization policy (see config/authz-policy.example.json), or ${ALLOW_ALL_VARIABLE}=true to let every caller call every method`,
    );
  } else {
    logger.warn(`no authorization policy (${POLICY_VARIABLE} unset): every caller may call every method (development only)`);
  }
  return ALLOW_ALL;
}
