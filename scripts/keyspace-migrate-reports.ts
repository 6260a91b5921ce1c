/**
 * `pnpm keyspace-migrate-reports [--apply]`: renames report-svc's keys from
 * before the Cluster hash tags (`case:{case_id}:reports`,
 * `report:{report_id}:metadata`, ... without braces) to their current names,
 * on the Redis that REDIS_* points at. Run it once with report-svc stopped
 * (docs/operations.md). A dry run unless --apply is given; running it again
 * finishes a run that stopped midway. On Cluster, cases whose report ids do
 * not carry the case's slot are listed and left under the old names; with
 * --apply, anything left (those, or a key whose new name holds something
 * else) makes the exit code 2.
 */
import { EnvReader } from "@faultmaven/config";
import { migrateReportKeys } from "@faultmaven/keyspace";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";

const apply = process.argv.includes("--apply");
const config = readRedisConfig(new EnvReader());
const client = createRedisClient(config, "keyspace-migrate-reports");
try {
  await client.connect();
  const outcome = await migrateReportKeys(client, { apply, cluster: config.mode === "cluster" });
  console.log(`legacy report-svc keys: ${outcome.found}`);
  console.log(apply ? `renamed: ${outcome.moved}` : "dry run: nothing renamed (pass --apply to rename them)");
  if (outcome.leftCases.length > 0) {
    console.log(`cases left under the old names (a report id does not carry the case's Cluster slot): ${outcome.leftCases.length}`);
    for (const caseId of outcome.leftCases) console.log(`  ${caseId}`);
  }
  if (outcome.conflicts.length > 0) {
    console.log(`legacy keys not renamed, their new name holds something else (both left): ${outcome.conflicts.length}`);
    for (const key of outcome.conflicts) console.log(`  ${key}`);
  }
  // An upgrade script must stop here: the new version cannot serve what is left under the old names.
  if (apply && (outcome.leftCases.length > 0 || outcome.conflicts.length > 0)) process.exitCode = 2;
} catch (error) {
  console.error(`report key migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  client.disconnect();
}
