import { keyBuilders } from "@faultmaven/redis";
import { authKeySchema } from "./key-schema.js";

/** The auth-svc key builders, derived from its key schema: every part is validated before it is used. */
export const authKeys = keyBuilders(authKeySchema);
