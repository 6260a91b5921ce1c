/**
 * The FaultMaven data-services contract. Import a domain from its subpath
 * (`@faultmaven/contract/session`) to keep names unambiguous.
 */
export * as session from "./session.js";
export * as auth from "./auth.js";
export * as report from "./report.js";
export * as audit from "./audit.js";
export * as rpc from "./rpc.js";
export * as validate from "./validate.js";
