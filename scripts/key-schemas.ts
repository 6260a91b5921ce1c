/**
 * The three services' key schemas, imported through each service package's
 * `./key-schema` entry (packages/keyspace never imports a service).
 */
import { authKeySchema } from "@faultmaven/auth-svc/key-schema";
import type { KeySchema } from "@faultmaven/redis";
import { reportKeySchema } from "@faultmaven/report-svc/key-schema";
import { sessionKeySchema } from "@faultmaven/session-svc/key-schema";

export const KEY_SCHEMAS: readonly KeySchema[] = [sessionKeySchema, authKeySchema, reportKeySchema];
