import { keyBuilders } from "@faultmaven/redis";
import { sessionKeySchema } from "./key-schema.js";

/** The session-svc key builders, derived from its key schema: every part is validated before it is used. */
export const sessionKeys = keyBuilders(sessionKeySchema);
