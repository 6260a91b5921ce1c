import { call } from "./buf-curl-json.js";

/**
 * Each service's main flow through `buf curl`; each returns a check that
 * what it wrote is still there (run after Redis is replaced).
 */
export type MainFlow = (address: string) => Promise<() => Promise<void>>;

const session = "/faultmaven.session.v1.SessionService";
const auth = "/faultmaven.auth.v1.AuthService";
const report = "/faultmaven.report.v1.ReportService";

/** CreateSession, AppendMessage, GetSession. */
export const sessionFlow: MainFlow = async (address) => {
  const created = await call(address, `${session}/CreateSession`, { user_id: "user_ct", client_id: "container_test" });
  const sessionId: string = created.session.sessionId;
  expect(sessionId).toMatch(/^sess_/);
  await call(address, `${session}/AppendMessage`, {
    session_id: sessionId,
    message: { role: "MESSAGE_ROLE_USER", content: "disk full on db-1" },
  });
  const expected = {
    sessionId,
    userId: "user_ct",
    messages: [expect.objectContaining({ role: "MESSAGE_ROLE_USER", content: "disk full on db-1" })],
  };
  expect((await call(address, `${session}/GetSession`, { session_id: sessionId })).session).toMatchObject(expected);
  return async () => {
    expect((await call(address, `${session}/GetSession`, { session_id: sessionId })).session).toMatchObject(expected);
  };
};

/** CreateUser, Login, ValidateToken. */
export const authFlow: MainFlow = async (address) => {
  const password = "a long passphrase";
  const created = await call(address, `${auth}/CreateUser`, { username: "john", email: "john@example.com", password });
  const userId: string = created.user.userId;
  const login = await call(address, `${auth}/Login`, { username: "john", password });
  expect(login.token).toMatch(/^fm1\./);
  expect(await call(address, `${auth}/ValidateToken`, { token: login.token })).toMatchObject({ userId });
  return async () => {
    expect(await call(address, `${auth}/ValidateToken`, { token: login.token })).toMatchObject({ userId });
    expect((await call(address, `${auth}/Login`, { username: "john", password })).user).toMatchObject({ userId });
  };
};

/** SaveReport (content to ChromaDB), GetReport with its content, SearchReports. */
export const reportFlow: MainFlow = async (address) => {
  const content = "Root cause: WAL archiving stalled";
  const saved = await call(address, `${report}/SaveReport`, {
    case_id: "case_ct",
    type: "REPORT_TYPE_RCA_REPORT",
    status: "REPORT_STATUS_FINAL",
    content,
    created_by: "usr_ct",
  });
  const reportId: string = saved.report.reportId;
  expect(reportId).toMatch(/^rep_/);
  const expected = { reportId, caseId: "case_ct", content };
  expect((await call(address, `${report}/GetReport`, { report_id: reportId, include_content: true })).report).toMatchObject(expected);
  const found = await call(address, `${report}/SearchReports`, { query: "WAL archiving stalled", limit: 3 });
  expect(found.results.map((r: { report: { reportId: string } }) => r.report.reportId)).toContain(reportId);
  return async () => {
    expect((await call(address, `${report}/GetReport`, { report_id: reportId, include_content: true })).report).toMatchObject(expected);
  };
};
