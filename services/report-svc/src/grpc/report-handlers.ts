import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ReportType, type ReportService } from "@faultmaven/contract/report";
import { decodePageToken, encodePageToken, pageSize, type ServiceHandlers } from "@faultmaven/grpc-kit";
import { CaseNotFoundError, ReportNotFoundError } from "../domain/errors.js";
import type { ReportPage, ReportStore } from "../domain/report-store.js";
import type { Reports } from "../domain/reports.js";
import { reportToProto, statusName, typeName } from "./to-proto.js";
import { searchLimit } from "./request-values.js";

type Handlers = ServiceHandlers<typeof ReportService>;

/** ReportService: call the domain, encode. Requests arrive checked against the contract's rules. */
export function reportHandlers(reports: Reports, store: ReportStore, closedCaseTtlMs: number): Handlers {
  const paged = (page: ReportPage, scope: string) => ({
    reports: page.reports.map((r) => reportToProto(r)),
    nextPageToken: page.nextOffset === undefined ? "" : encodePageToken(scope, page.nextOffset),
  });

  return {
    async saveReport(request, context) {
      const input = {
        caseId: request.caseId,
        type: typeName(request.type),
        status: statusName(request.status),
        title: request.title,
        content: request.content,
        createdBy: request.createdBy,
      };
      return { report: reportToProto(await reports.save(input, context.signal)) };
    },

    async getReport(request) {
      const { report, content } = await reports.get(request.reportId, request.includeContent);
      return { report: reportToProto(report, content) };
    },

    async listCaseReports(request) {
      const caseId = request.caseId;
      const scope = `case:${caseId}`;
      const page = await store.listByCase(caseId, decodePageToken(scope, request.pageToken), pageSize(request.pageSize));
      return paged(page, scope);
    },

    async listReportVersions(request) {
      const caseId = request.caseId;
      const type = typeName(request.type);
      const scope = `case:${caseId}:${type}`;
      const page = await store.listVersions(caseId, type, decodePageToken(scope, request.pageToken), pageSize(request.pageSize));
      return paged(page, scope);
    },

    async getCurrentReports(request) {
      const current = await store.current(request.caseId, request.type === ReportType.UNSPECIFIED ? undefined : typeName(request.type));
      return { reports: current.map((r) => reportToProto(r)) };
    },

    async searchReports(request, context) {
      const filter = {
        ...(request.caseId ? { caseId: request.caseId } : {}),
        ...(request.type ? { type: typeName(request.type) } : {}),
      };
      const limits = { limit: searchLimit(request.limit), minScore: request.minScore };
      const hits = await reports.search(request.query, filter, limits, context.signal);
      return { results: hits.map((hit) => ({ report: reportToProto(hit.report), score: hit.score, snippet: hit.snippet })) };
    },

    async closeCase(request) {
      const caseId = request.caseId;
      const expiresAt = await store.closeCase(caseId, closedCaseTtlMs);
      if (expiresAt === undefined) throw new CaseNotFoundError(caseId);
      return { expiresAt: timestampFromMs(expiresAt) };
    },

    async reopenCase(request) {
      const caseId = request.caseId;
      if (!(await store.reopenCase(caseId))) throw new CaseNotFoundError(caseId);
      return {};
    },

    async deleteReport(request) {
      const reportId = request.reportId;
      if (!(await reports.delete(reportId)) && !request.allowMissing) throw new ReportNotFoundError(reportId);
      return {};
    },

    async deleteCaseReports(request) {
      return { deletedCount: await reports.deleteCase(request.caseId) };
    },
  };
}
