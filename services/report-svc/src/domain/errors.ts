import { FailedPreconditionError, LimitExceededError, NotFoundError } from "@faultmaven/errors";

export class ReportNotFoundError extends NotFoundError {
  constructor(reportId: string) {
    super("Report", reportId, "report not found");
  }
}

export class CaseNotFoundError extends NotFoundError {
  constructor(caseId: string) {
    super("Case", caseId, "the case has no reports");
  }
}

/** Metadata exists but its content is gone from the content store: say so instead of returning nothing. */
export class ContentMissingError extends FailedPreconditionError {
  constructor(reportId: string) {
    super("report content is missing from the content store", "CONTENT_MISSING", { report_id: reportId });
  }
}

/** The case already keeps the most versions of this type; nothing was saved. */
export class ReportLimitError extends LimitExceededError {
  constructor(max: number) {
    super("report.versions_per_type", max, `the case already keeps ${max} reports of this type; delete older versions to save more`);
  }
}
