import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ReportService } from "@faultmaven/contract/report";
import { decodePageToken, encodePageToken, pageSize, type ServiceHandlers } from "@faultmaven/grpc-kit";
import { CaseNotFoundError, ReportNotFoundError } from "../domain/errors.js";
import type { ReportPage, ReportStore } from "../domain/report-store.js";
import type { Reports } from "../domain/reports.js";
import { reportToProto } from "./to-proto.js";
import { LIMITS, validate } from "./validate.js";

type Handlers = ServiceHandlers<typeof ReportService>;

/** ReportService: decode and validate, call the domain, encode. */
export function reportHandlers(reports: Reports, store: ReportStore, closedCaseTtlMs: number): Handlers {
  const paged = (page: ReportPage, scope: string) => ({
    reports: page.reports.map((r) => reportToProto(r)),
    nextPageToken: page.nextOffset === undefined ? "" : encodePageToken(scope, page.nextOffset),
  });

  return {
    async saveReport(request, context) {
      const input = {
        caseId: validate.caseId(request.caseId),
        type: validate.type(request.type),
        status: validate.status(request.status),
        title: validate.text("title", request.title, LIMITS.titleLength, false),
        content: validate.text("content", request.content, LIMITS.contentLength, true),
        createdBy: validate.createdBy(request.createdBy),
      };
      return { report: reportToProto(await reports.save(input, context.signal)) };
    },

    async getReport(request) {
      const { report, content } = await reports.get(validate.reportId(request.reportId), request.includeContent);
      return { report: reportToProto(report, content) };
    },

    async listCaseReports(request) {
      const caseId = validate.caseId(request.caseId);
      const scope = `case:${caseId}`;
      const page = await store.listByCase(caseId, decodePageToken(scope, request.pageToken), pageSize(request.pageSize));
      return paged(page, scope);
    },

    async listReportVersions(request) {
      const caseId = validate.caseId(request.caseId);
      const type = validate.type(request.type);
      const scope = `case:${caseId}:${type}`;
      const page = await store.listVersions(caseId, type, decodePageToken(scope, request.pageToken), pageSize(request.pageSize));
      return paged(page, scope);
    },

    async getCurrentReports(request) {
      const current = await store.current(validate.caseId(request.caseId), validate.typeFilter(request.type));
      return { reports: current.map((r) => reportToProto(r)) };
    },

    async searchReports(request, context) {
      const query = validate.text("query", request.query, LIMITS.queryLength, true);
      const filter = {
        ...(request.caseId ? { caseId: validate.caseId(request.caseId) } : {}),
        ...(request.type ? { type: validate.type(request.type) } : {}),
      };
      const hits = await reports.search(query, filter, validate.limit(request.limit), context.signal);
      return { results: hits.map((hit) => ({ report: reportToProto(hit.report), score: hit.score, snippet: hit.snippet })) };
    },

    async closeCase(request) {
      const caseId = validate.caseId(request.caseId);
      const expiresAt = await store.closeCase(caseId, closedCaseTtlMs);
      if (expiresAt === undefined) throw new CaseNotFoundError(caseId);
      return { expiresAt: timestampFromMs(expiresAt) };
    },

    async reopenCase(request) {
      const caseId = validate.caseId(request.caseId);
      if (!(await store.reopenCase(caseId))) throw new CaseNotFoundError(caseId);
      return {};
    },

    async deleteReport(request) {
      const reportId = validate.reportId(request.reportId);
      if (!(await reports.delete(reportId)) && !request.allowMissing) throw new ReportNotFoundError(reportId);
      return {};
    },

    async deleteCaseReports(request) {
      return { deletedCount: await reports.deleteCase(validate.caseId(request.caseId)) };
    },
  };
}
