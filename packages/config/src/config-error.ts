/** A configuration value is wrong or missing; the message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";

  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}
