import { ConfigError, EnvReader } from "@faultmaven/config";

/** How the service reaches Redis. */
export type RedisMode = "standalone" | "sentinel" | "cluster";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Everything needed to connect, read once at start from the environment. */
export interface RedisConfig {
  readonly mode: RedisMode;
  /** standalone: the server; sentinel: unused; cluster: unused. */
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** TLS options passed to node:tls, or undefined for plaintext. */
  readonly tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string } | undefined;
  readonly sentinels: readonly HostPort[];
  readonly sentinelMaster: string;
  readonly sentinelPassword: string | undefined;
  readonly clusterNodes: readonly HostPort[];
  /** Upper bound for one command; kept below typical RPC deadlines so calls fail fast. */
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/**
 * Reads REDIS_* variables. REDIS_URL (redis:// or rediss://) takes the place
 * of REDIS_HOST/PORT/DB/USERNAME/PASSWORD when set; REDIS_SENTINELS selects
 * Sentinel mode and REDIS_CLUSTER_NODES Cluster mode.
 */
export function readRedisConfig(env = new EnvReader()): RedisConfig {
  const url = parseUrl(env);
  const sentinels = hostList(env, "REDIS_SENTINELS");
  const clusterNodes = hostList(env, "REDIS_CLUSTER_NODES");
  if (sentinels.length > 0 && clusterNodes.length > 0) {
    throw new ConfigError("REDIS_CLUSTER_NODES", "set either REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both");
  }
  const db = url?.db ?? env.integer("REDIS_DB", 0, 0, 15);
  if (clusterNodes.length > 0 && db !== 0) {
    throw new ConfigError("REDIS_DB", "Redis Cluster only has database 0");
  }
  const tlsWanted = url?.tls ?? env.boolean("REDIS_TLS", false);
  return {
    mode: clusterNodes.length > 0 ? "cluster" : sentinels.length > 0 ? "sentinel" : "standalone",
    host: url?.host ?? env.string("REDIS_HOST") ?? "localhost",
    port: url?.port ?? env.integer("REDIS_PORT", 6379, 1, 65535),
    db,
    username: url?.username ?? env.string("REDIS_USERNAME"),
    password: url?.password ?? env.string("REDIS_PASSWORD"),
    tls: tlsWanted ? tlsOptions(env) : undefined,
    sentinels,
    sentinelMaster: env.string("REDIS_SENTINEL_MASTER") ?? "mymaster",
    sentinelPassword: env.string("REDIS_SENTINEL_PASSWORD"),
    clusterNodes,
    // At least 100 ms: every script's not-after bound keeps a margin (20 ms or more) for its reply inside it.
    commandTimeoutMs: env.integer("REDIS_COMMAND_TIMEOUT_MS", 1000, 100, 60_000),
    connectTimeoutMs: env.integer("REDIS_CONNECT_TIMEOUT_MS", 2000, 10, 60_000),
  };
}

function parseUrl(env: EnvReader) {
  const raw = env.string("REDIS_URL");
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("REDIS_URL", "not a URL (expected redis://[user:password@]host:port[/db])");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError("REDIS_URL", `scheme must be redis:// or rediss://, got ${url.protocol}//`);
  }
  const dbText = url.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || db > 15) {
    throw new ConfigError("REDIS_URL", "database must be an integer 0-15");
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port === "" ? 6379 : Number(url.port),
    db,
    username: url.username === "" ? undefined : decodeURIComponent(url.username),
    password: url.password === "" ? undefined : decodeURIComponent(url.password),
    tls: url.protocol === "rediss:",
  };
}

/** REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE + REDIS_TLS_KEY_FILE (client certificate), REDIS_TLS_SERVERNAME. */
function tlsOptions(env: EnvReader): NonNullable<RedisConfig["tls"]> {
  const ca = env.file("REDIS_TLS_CA_FILE");
  const cert = env.file("REDIS_TLS_CERT_FILE");
  const key = env.file("REDIS_TLS_KEY_FILE");
  const servername = env.string("REDIS_TLS_SERVERNAME");
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError("REDIS_TLS_KEY_FILE", "REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE go together");
  }
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(servername ? { servername } : {}),
  };
}

function hostList(env: EnvReader, variable: string): HostPort[] {
  const raw = env.string(variable);
  if (raw === undefined) return [];
  return raw.split(",").map((entry) => {
    const match = /^\s*\[?([^\]\s]+?)\]?:(\d{1,5})\s*$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError(variable, `expected host:port[,host:port...], got "${entry.trim()}"`);
    }
    return { host: match[1]!, port };
  });
}
