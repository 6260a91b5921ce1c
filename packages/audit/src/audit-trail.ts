import { type Caller, currentCallScope } from "@faultmaven/call-scope";
import type { Logger } from "pino";
import { type AuditEvent, failed } from "./audit-event.js";
import type { AuditLog, AuditPage } from "./audit-log.js";
import type { AuditMetrics } from "./audit-metrics.js";
import { toRecord } from "./audit-record.js";
import { auditTarget } from "./audit-target.js";

/** What the authorization step knows of a refused call. */
export interface DeniedCall {
  /** The full method, "/faultmaven.auth.v1.AuthService/DeleteUser" or without the leading slash. */
  readonly method: string;
  readonly caller: Caller;
  /** The policy entry that refused it: the method's name, or `Method.field` for a guarded field. */
  readonly entry?: string;
}

/**
 * The security audit trail of one service. `record` stamps an event with
 * the time, the service and the caller (from the call scope, or given),
 * writes one line under the logger name "audit" and hands the record to
 * the audit log (a capped Redis stream, or memory in development), which
 * stores it after the call without holding it up. Recording never throws:
 * a failure to record is logged, and the audited call goes on.
 */
export class AuditTrail {
  constructor(
    private readonly service: string,
    private readonly log: AuditLog,
    /** The "audit" logger (createAuditLogger). */
    private readonly logger: Logger,
    private readonly metrics: AuditMetrics,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records one event for the current call's caller (or `caller`). */
  record(event: AuditEvent, caller: Caller | undefined = currentCallScope()?.caller): void {
    try {
      const record = toRecord(event, this.service, caller, this.clock());
      this.logger.info({ audit: record }, `${record.action} ${record.outcome}`);
      this.metrics.recorded(record.action, record.outcome);
      this.log.append(record);
    } catch (error) {
      this.logger.error({ err: error }, "audit record failed");
    }
  }

  /** Records a call refused by the authorization policy (PERMISSION_DENIED); the grpc-kit hook's target. */
  readonly recordDenial = ({ method, caller, entry }: DeniedCall): void => {
    this.record(
      {
        action: "permission_denied",
        target: auditTarget.method(method),
        outcome: failed("PERMISSION_DENIED"),
        ...(entry === undefined ? {} : { detail: { policyEntry: entry } }),
      },
      caller,
    );
  };

  /** Up to `size` records older than `before` (the newest when undefined), newest first. */
  page(before: string | undefined, size: number): Promise<AuditPage> {
    return this.log.page(before, size);
  }

  /** Writes what is queued (bounded), then stops. */
  close(): Promise<void> {
    return this.log.close();
  }
}
