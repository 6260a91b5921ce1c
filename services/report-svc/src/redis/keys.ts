import { keyBuilders } from "@faultmaven/redis";
import { reportKeySchema } from "./key-schema.js";

/** The report-svc key builders, derived from its key schema: every part is validated before it is used. */
export const reportKeys = keyBuilders(reportKeySchema);
