/**
 * `pnpm -s decode-error`: reads an error from stdin and prints it with its
 * google.rpc details decoded. Accepts what `buf curl` prints for a failed
 * call (details as base64 `value`s), `buf curl -v` output (its
 * `Grpc-Status-Details-Bin:` trailer line), or a bare base64
 * grpc-status-details-bin value from any client:
 *
 *   npx buf curl --protocol grpc --http2-prior-knowledge -d '{"user_id":""}' \
 *     http://localhost:50051/faultmaven.session.v1.SessionService/CreateSession 2>&1 | pnpm -s decode-error
 */
import { text } from "node:stream/consumers";
import { bufCurlErrorToJson, statusDetailsToJson } from "@faultmaven/grpc-kit";

const input = await text(process.stdin);
const trailer = /grpc-status-details-bin:\s*([A-Za-z0-9+/=_-]+)/i.exec(input)?.[1];
const json = input.slice(input.indexOf("{"), input.lastIndexOf("}") + 1);
let decoded: unknown;
if (trailer) decoded = statusDetailsToJson(Buffer.from(trailer, "base64"));
else if (json) decoded = bufCurlErrorToJson(JSON.parse(json) as Parameters<typeof bufCurlErrorToJson>[0]);
else if (input.trim()) decoded = statusDetailsToJson(Buffer.from(input.trim(), "base64"));
else {
  console.error("decode-error: nothing on stdin (pipe buf curl's output into it, with 2>&1)");
  process.exit(2);
}
console.log(JSON.stringify(decoded, null, 2));
