import { auditStreamPattern } from "@faultmaven/audit";
import { defineKeySchema, idempotencyRecordPattern, KeyPattern, oneOf, part } from "@faultmaven/redis";
import { MAX_VERSIONS_PER_TYPE, REPORT_ID_PATTERN, REPORT_TYPES } from "../domain/report.js";

const caseId = part("case_id", { maxLength: 128 });
const reportId = part("report_id", { pattern: REPORT_ID_PATTERN, patternDescription: "a report id (rep_...)" });
const type = oneOf("type", REPORT_TYPES);
const closedTtl = "none; 90 days once the case is closed";

/**
 * The report-svc key schema (DESIGN.md §2): the one definition its key
 * builders, the keyspace audit, the namespace sampler and
 * docs/key-schema.md (`pnpm docs:keys`) are derived from. The deprecated
 * `case:{case_id}`, `user:{user_id}:cases` and `case_index` are never written.
 */
export const reportKeySchema = defineKeySchema({
  service: "report-svc",
  keys: {
    caseReports: new KeyPattern("case:{case_id}:reports", [caseId], {
      type: "Sorted set: report ids, score = creation time (Unix ms)",
      ttl: closedTtl,
      writtenBy: "SaveReport; DeleteReport, DeleteCaseReports",
    }),
    caseType: new KeyPattern("case:{case_id}:reports:{type}", [caseId, type], {
      type: "Sorted set: report ids, score = -version",
      ttl: "as above",
      writtenBy:
        `SaveReport (refused with FAILED_PRECONDITION \`report.versions_per_type\` when it already holds ${MAX_VERSIONS_PER_TYPE}, ` +
        `checked in the script that adds to it; so a case holds at most ${MAX_VERSIONS_PER_TYPE * REPORT_TYPES.length} reports); deletes`,
    }),
    caseCurrent: new KeyPattern("case:{case_id}:reports:current", [caseId], {
      type:
        "Hash: type -> current report id (on Redis Cluster also `<type>:version`, its version, and `<type>:previous`, " +
        "the report it replaced)",
      ttl: "as above",
      writtenBy: "SaveReport; DeleteReport (the newest remaining version takes over)",
    }),
    metadata: new KeyPattern("report:{report_id}:metadata", [reportId], {
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
    caseClosed: new KeyPattern("case:{case_id}:closed", [caseId], {
      type: "String: when the closure ends (Unix ms, Redis clock)",
      ttl: "the closure's own TTL (90 days): it expires with the case",
      writtenBy:
        "CloseCase; removed by ReopenCase and DeleteCaseReports, kept by DeleteReport; SaveReport reads its remaining TTL for new keys",
    }),
    audit: auditStreamPattern("report:"),
    caseIdempotency: idempotencyRecordPattern(
      "case:",
      "SaveReport, CloseCase, ReopenCase, DeleteCaseReports (anchor case:{case_id}:reports); on Redis Cluster also " +
        "SaveReport's reserved report id (anchor case:{case_id}:reports:current)",
    ),
    reportIdempotency: idempotencyRecordPattern("report:", "DeleteReport (anchor report:{report_id}:metadata)"),
  },
  notes: [
    "Report ids are `rep_` + 128 random bits. Types are the seed's names (`INCIDENT_REPORT`, `RCA_REPORT`, `RUNBOOK`, " +
      "`POST_MORTEM`). The deprecated `case:{case_id}`, `user:{user_id}:cases` and `case_index` are never written.",
    "**Versions.** On standalone Redis and Sentinel a save is one Lua script over the case's keys: it reads the newest " +
      "version of (case, type), takes the next one, indexes the report, makes it current and flips `is_current` on the " +
      "previous report. Versions are therefore unique and gapless under concurrent saves (version = newest existing + 1). " +
      "Saving into a closed case gives the new keys the remaining TTL of `case:{case_id}:closed`. Every key the script touches is declared in `KEYS`: the " +
      "store first reads which report is current, declares that report's metadata key, and the script re-checks the pointer " +
      "(a concurrent save that moved it makes the store plan again, after a short random wait once two plans went stale; " +
      "a step that cannot win within 100 plans answers `ABORTED`, having written nothing). DeleteReport and the case-wide " +
      "steps (CloseCase, " +
      "ReopenCase, DeleteCaseReports) are planned the same way, from the ids they read.",
    "On **Redis Cluster** a case's keys live in different slots, so a save is a series of single-key steps " +
      "(the same MultiKeyStep in its split form):",
    "1. One script on `case:{case_id}:reports:{type}` takes the next version, so\n" +
      "   versions stay unique and gapless.\n" +
      "2. The metadata hash is committed (the report becomes visible), then the\n" +
      "   case timeline is written.\n" +
      "3. One script on `case:{case_id}:reports:current` moves the pointer only\n" +
      "   forward. It keeps the version it points at beside it, as field\n" +
      "   `<type>:version`, and the report it replaced, as `<type>:previous`.\n" +
      "4. The save sets its own `is_current` flag from that outcome and clears the\n" +
      "   flag of the report it replaced.\n" +
      "5. Finally it settles its own flag from the pointer, re-reading it until it\n" +
      "   did not move during the write (a delete of the current report may have\n" +
      "   moved it here before this report's metadata existed).",
    "Once concurrent saves and deletes have finished, exactly one report per type carries `is_current`, and it is the one " +
      "the pointer names (tested on a real 3-master cluster). CloseCase, ReopenCase and DeleteCaseReports touch the keys one " +
      "by one there. What Cluster does not yet guarantee: a save stopped between its steps (a crash, or the caller's deadline " +
      "ending the call) keeps the version it took with no report behind it, so the visible versions have a gap; if the " +
      "current report is then deleted, the pointer can name that missing report and GetCurrentReports leaves the type out " +
      "until the next save of it; and metadata written before the stop may be missing from the case timeline, so CloseCase " +
      "and DeleteCaseReports do not reach it, until a retry with the save's idempotency key finishes the save (below).",
    "**Cluster failures after the commit.** A step that fails after the metadata commit (timeline, pointer, flags, the " +
      "idempotency record) cannot undo it: the save answers `UNAVAILABLE` with reason `OUTCOME_UNKNOWN`, the report stays " +
      "saved and readable, and its content is never deleted (content is deleted at once only for a save whose commit " +
      "certainly did not run). The caller retries with its idempotency key, which finishes the save and answers that report. " +
      "A DeleteReport on Cluster removes the report from its type index and the timeline, moves the pointer, and deletes " +
      "the metadata last: a delete answered with an error leaves the report readable by id, and a retry (with or without " +
      "the key) finds it and finishes the delete.",
    "**Closure.** CloseCase of a case with reports writes `case:{case_id}:closed` (the closure's end, with the same " +
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
    "**Idempotency keys.** A keyed SaveReport first reads its record (`case:idem:{case:{case_id}:reports}:SaveReport:{key}`) " +
      "and answers a retry from it before writing any content; the save script records its reply atomically with the save. " +
      "Of concurrent attempts with one key the first commit wins; the others answer its report and delete their own " +
      "content and intent. CloseCase, ReopenCase and DeleteCaseReports record on the same anchor, DeleteReport on " +
      "`report:{report_id}:metadata`. On Redis Cluster a keyed SaveReport first reserves its report id under the key " +
      "(`case:idem:{case:{case_id}:reports:current}:SaveReport:{key}`), so every attempt with that key works on one report " +
      "id. Each step is re-runnable for that id: the version is taken once, the commit keeps the first commit's version " +
      "and `created_at`, a committed report's content is not written again, and the pointer and flags are set again. A " +
      "retry after a partial failure (or a concurrent attempt) therefore finishes the remaining steps and answers the same " +
      "report; the reply is recorded by one more step after the others. A failed attempt leaves the content of such a " +
      "shared id to reconciliation, since another attempt may still commit it (not yet covered: a retry that renews the " +
      "intent of such an id while a reconciliation pass that already judged it failed deletes its content commits the " +
      "report without content, and reads answer `CONTENT_MISSING`). DeleteReport's last step (the metadata " +
      "delete) records its reply with its effect, so a retry after a lost reply answers `OK` with the deleted report.",
  ],
});
