/** Reading configuration from the environment, once, with errors that name the variable. */
export { ConfigError } from "./config-error.js";
export { EnvReader, type Env } from "./env-reader.js";
export { processEnvironment } from "./process-environment.js";
