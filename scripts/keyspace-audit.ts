/**
 * `pnpm keyspace-audit [--delete-deprecated]`: lists the keys of the Redis
 * that REDIS_* points at by schema pattern (the services' key schemas), and reports keys outside the
 * schema, including the seed's deprecated case keys (`case:{case_id}`,
 * `user:{user_id}:cases`, `case_index`). A dry run unless
 * --delete-deprecated is given; unknown keys are only ever reported.
 */
import { EnvReader } from "@faultmaven/config";
import { auditKeyspace } from "@faultmaven/keyspace";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { KEY_SCHEMAS } from "./key-schemas.js";

const deleteDeprecated = process.argv.includes("--delete-deprecated");
const client = createRedisClient(readRedisConfig(new EnvReader()), "keyspace-audit");
try {
  await client.connect();
  const report = await auditKeyspace(client, { schemas: KEY_SCHEMAS, deleteDeprecated });
  console.log(`scanned ${report.scanned} keys`);
  for (const [name, count] of Object.entries(report.known).sort()) console.log(`  ${String(count).padStart(8)}  ${name}`);
  console.log(`deprecated keys: ${report.deprecated.length}`);
  for (const key of report.deprecated) console.log(`  ${key}`);
  console.log(
    `unknown keys: ${report.unknownCount}${report.unknownCount > report.unknown.length ? ` (first ${report.unknown.length} listed)` : ""}`,
  );
  for (const key of report.unknown) console.log(`  ${key}`);
  console.log(
    deleteDeprecated
      ? `deleted ${report.deleted} deprecated keys`
      : report.deprecated.length > 0
        ? "dry run: nothing deleted (pass --delete-deprecated to delete the deprecated keys)"
        : "dry run: nothing deleted",
  );
} catch (error) {
  console.error(`keyspace audit failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  client.disconnect();
}
