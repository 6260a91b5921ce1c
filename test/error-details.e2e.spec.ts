import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { bufCurl, ServiceProcess } from "@faultmaven/test-kit";

const SESSION_MAIN = fileURLToPath(new URL("../services/session-svc/src/main.ts", import.meta.url));
const DECODE_ERROR = fileURLToPath(new URL("../scripts/decode-error.ts", import.meta.url));

/** `pnpm decode-error` with `input` on stdin. */
function decodeError(input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ["--import", "tsx", DECODE_ERROR], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin!.end(input);
  });
}

/** The README's recipe for reading an error's details by hand, run as written. */
describe("error details by hand", () => {
  let svc: ServiceProcess;
  beforeAll(async () => {
    svc = await ServiceProcess.start(SESSION_MAIN, { SESSION_STORAGE_TYPE: "inmemory" });
  });
  afterAll(() => svc?.stop());

  it("buf curl prints the details base64; piped into decode-error they read as ErrorInfo and BadRequest", async () => {
    const call = await bufCurl(svc.address, "/faultmaven.session.v1.SessionService/CreateSession", { user_id: "", client_id: "laptop" });
    const printed = JSON.parse(call.stderr) as { code: string; details: { type: string; value: string }[] };
    expect(printed.code).toBe("invalid_argument");
    expect(printed.details.map((d) => d.type)).toEqual(["google.rpc.ErrorInfo", "google.rpc.BadRequest"]);

    // The wording of messages belongs to validation; the shape and the field name are what this recipe shows.
    expect(JSON.parse(await decodeError(call.stdout + call.stderr))).toEqual({
      code: "invalid_argument",
      message: expect.stringContaining("user_id"),
      details: [
        expect.objectContaining({
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "INVALID_ARGUMENT",
          domain: "faultmaven.io",
        }),
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [expect.objectContaining({ field: "user_id", description: expect.any(String) })],
        },
      ],
    });
  });
});
