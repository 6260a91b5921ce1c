import { auditStreamPattern } from "@faultmaven/audit";
import { defineKeySchema, idempotencyRecordPattern, KeyPattern, oneOf, part, SLOT_TAG_LENGTH } from "@faultmaven/redis";
import { MAX_VERSIONS_PER_TYPE, REPORT_ID_PATTERN, REPORT_TYPES } from "../domain/report.js";

const caseId = part("case_id", { maxLength: 128 });
const reportId = part("report_id", { pattern: REPORT_ID_PATTERN, patternDescription: "a report id (rep_...)" });
const slotTag = part("slot_tag", {
  field: "report_id",
  pattern: new RegExp(`^[A-Za-z0-9_-]{${SLOT_TAG_LENGTH}}$`),
  patternDescription: `the ${SLOT_TAG_LENGTH} characters of the report id after \`rep_\``,
});
const type = oneOf("type", REPORT_TYPES);
const closedTtl = "none; 90 days once the case is closed";

/**
 * The report-svc key schema (DESIGN.md §2): the one definition its key
 * builders, the keyspace audit, the namespace sampler and
 * docs/key-schema.md (`pnpm docs:keys`) are derived from. Every key of a
 * case sits in the case's Redis Cluster slot: the case keys carry the hash
 * tag `{case_id}`, a report's metadata the tag of its id's slot characters
 * (which new ids take from their case), so one script spans a case on every
 * topology. The deprecated `case:{case_id}`, `user:{user_id}:cases` and
 * `case_index` are never written.
 */
export const reportKeySchema = defineKeySchema({
  service: "report-svc",
  keys: {
    caseReports: new KeyPattern("case:{{case_id}}:reports", [caseId], {
      type: "Sorted set: report ids, score = creation time (Unix ms)",
      ttl: closedTtl,
      writtenBy: "SaveReport; DeleteReport, DeleteCaseReports",
    }),
    caseType: new KeyPattern("case:{{case_id}}:reports:{type}", [caseId, type], {
      type: "Sorted set: report ids, score = -version",
      ttl: "as above",
      writtenBy:
        `SaveReport (refused with FAILED_PRECONDITION \`report.versions_per_type\` when it already holds ${MAX_VERSIONS_PER_TYPE}, ` +
        `checked in the script that adds to it; so a case holds at most ${MAX_VERSIONS_PER_TYPE * REPORT_TYPES.length} reports); deletes`,
    }),
    caseCurrent: new KeyPattern("case:{{case_id}}:reports:current", [caseId], {
      type: "Hash: type -> current report id",
      ttl: "as above",
      writtenBy: "SaveReport; DeleteReport (the newest remaining version takes over)",
    }),
    metadata: new KeyPattern("report:{{slot_tag}}:{report_id}:metadata", [slotTag, reportId], {
      type: "Hash (a save intent until the save commits: `save_intent`, `case_id`, `type` only)",
      ttl: "as above; a save intent: 7 days",
      writtenBy: "SaveReport (its intent first, and is_current of the previous one); deletes; reconciliation removes passed intents",
      fields: [
        ["`report_id`, `case_id`, `type`, `version`", "identity; version = newest existing + 1 per (case, type)"],
        ["`status`", "`draft`/`final`"],
        ["`title`, `created_by`", "free text"],
        ["`created_at`", "Unix ms, Redis clock"],
        ["`is_current`", "`true`/`false`"],
        ["`content_location`", "`chromadb://faultmaven_case_reports/{report_id}`"],
        [
          "`save_intent`",
          "only before the commit: when the save stops being able to commit (Unix ms, Redis clock); the commit removes it. " +
            "A hash without `report_id` is no report to any read",
        ],
      ],
    }),
    caseClosed: new KeyPattern("case:{{case_id}}:closed", [caseId], {
      type: "String: when the closure ends (Unix ms, Redis clock)",
      ttl: "the closure's own TTL (90 days): it expires with the case",
      writtenBy:
        "CloseCase; removed by ReopenCase and DeleteCaseReports, kept by DeleteReport; SaveReport reads its remaining TTL for new keys",
    }),
    audit: auditStreamPattern("report:"),
    caseIdempotency: idempotencyRecordPattern(
      "case:",
      "SaveReport, CloseCase, ReopenCase, DeleteCaseReports (anchor case:{{case_id}}:reports)",
      { tagged: true },
    ),
    reportIdempotency: idempotencyRecordPattern("report:", "DeleteReport (anchor report:{{slot_tag}}:{report_id}:metadata)", {
      tagged: true,
    }),
  },
  notes: [
    "Report ids are `rep_` + 22 base64url characters: 3 **slot characters**, a base64url string in the Redis Cluster slot " +
      "of the case's hash tag `{case_id}` (one fixed string per slot), then 19 random characters (114 bits). A report's " +
      "metadata key carries those 3 characters as its hash tag, so **every key of a case, its reports' metadata and the " +
      "idempotency records anchored on them sit in one hash slot**: each write below is one Lua script on standalone, " +
      "Sentinel and Cluster alike, and GetReport and DeleteReport still need only the report id. Types are the seed's " +
      "names (`INCIDENT_REPORT`, `RCA_REPORT`, `RUNBOOK`, `POST_MORTEM`). The deprecated `case:{case_id}`, " +
      "`user:{user_id}:cases` and `case_index` are never written.",
    "**Versions.** A save is one Lua script over the case's keys: it reads the newest " +
      "version of (case, type), takes the next one, indexes the report, makes it current and flips `is_current` on the " +
      "previous report. Versions are therefore unique and gapless under concurrent saves (version = newest existing + 1), " +
      "exactly one report per type is current at every instant a reader can observe, and a save either happened whole " +
      "or not at all (a crash or a freeze can stop it only before or after the script). " +
      "Saving into a closed case gives the new keys the remaining TTL of `case:{{case_id}}:closed`. Every key the script touches is declared in `KEYS`: the " +
      "store first reads which report is current, declares that report's metadata key, and the script re-checks the pointer " +
      "(a concurrent save that moved it makes the store plan again, after a short random wait once two plans went stale; " +
      "a step that cannot win within 100 plans answers `ABORTED`, having written nothing). DeleteReport and the case-wide " +
      "steps (CloseCase, ReopenCase, DeleteCaseReports) are planned the same way, from the ids they read, and are one " +
      "script each: CloseCase puts the closure TTL on every key of the case at once, ReopenCase removes it at once.",
    "**Keys written before the slot tags** (`case:{case_id}:reports`, `report:{report_id}:metadata`, ... without " +
      "braces) are not read. `pnpm keyspace-migrate-reports` renames them once, with report-svc stopped (see " +
      "docs/operations.md); on Cluster it moves only cases whose report ids already carry their case's slot and " +
      "lists the others.",
    "**Closure.** CloseCase of a case with reports writes `case:{{case_id}}:closed` (the closure's end, with the same " +
      "TTL as the report keys); CloseCase of a case without reports answers `NOT_FOUND` and writes nothing. The closure " +
      "is remembered apart from the reports: deleting them one by one keeps it, so the next save still gets the " +
      "remaining TTL, and ReopenCase of such a case (closed, no reports left) succeeds and removes it. DeleteCaseReports " +
      "deletes the case, closure included: a later save starts an open case. A closure written before this key existed " +
      "(report keys with a TTL, no `closed` key) is still honoured: SaveReport then falls back to the timeline's TTL.",
    "**Content** lives in the ChromaDB collection `faultmaven_case_reports` (cosine space). Each report id has one document " +
      "with the service-computed embedding and `{case_id, type, written_at}` metadata. A save first records a **save intent** " +
      "in the report's metadata hash (`save_intent`: the time after which it can no longer commit, at most " +
      "`REPORT_SAVE_WINDOW_MS` and the call's deadline away, Redis clock), then writes the content, then commits the metadata: " +
      "the commit script needs the live intent and removes it. A failed save's content is deleted at once when the failure " +
      "certainly had no effect (refused connection, a script that arrived after its bound), else by reconciliation. Deletes " +
      "remove metadata before content. Search never shows content without metadata.",
    "**Reconciliation** (at start and every `REPORT_RECONCILE_INTERVAL_SECONDS`) deletes only the content of saves known to " +
      "have failed: a save intent whose time has passed (Redis clock) with no metadata; it then removes the intent. Content " +
      "with metadata or a live intent is kept; content with neither (a different or restored Redis, a report deleted while " +
      "Chroma was down) is kept and counted as an orphan in the log. One pass deletes at most " +
      "`REPORT_RECONCILE_MAX_DELETES` (10) or `REPORT_RECONCILE_MAX_DELETE_PERCENT` (5) % of the collection, whichever is " +
      "larger; the rest waits for the next passes.",
    "**Idempotency keys.** A keyed SaveReport first reads its record (`case:idem:{{case_id}}:reports:SaveReport:{key}`, " +
      "in the case's slot) and answers a retry from it before writing any content; the save script records its reply " +
      "atomically with the save. Of concurrent attempts with one key the first commit wins; the others answer its report " +
      "and delete their own content and intent. CloseCase, ReopenCase and DeleteCaseReports record on the same anchor, " +
      "DeleteReport on the report's metadata key, each in the script that has the effect.",
  ],
});
