/**
 * The attacking side of `pnpm bench:stalled`, in its own process so that
 * opening thousands of streams does not stall the client that measures:
 * opens the stalled streams against the address in argv, prints one JSON
 * line when they are open and one when every stream has been closed.
 */
import { StalledStreams } from "@faultmaven/test-kit";

const address = process.argv[2]!;
const GET_SESSION = "/faultmaven.session.v1.SessionService/GetSession";
const MIB = 1024 * 1024;

const started = performance.now();
const attacks = {
  "5,000 small stalled": await StalledStreams.open(address, { path: GET_SESSION, declaredBytes: 100, sentBytes: 10 }, 5000, 10),
  "100 x ~1 MiB unfinished": await StalledStreams.open(
    address,
    { path: GET_SESSION, declaredBytes: MIB - 1024, sentBytes: MIB - 64 * 1024 },
    100,
    4,
  ),
  "100 x 3.9 MB announced": await StalledStreams.open(address, { path: GET_SESSION, declaredBytes: 3.9e6, sentBytes: 64 * 1024 }, 100, 1),
};
console.log(JSON.stringify({ opened: true }));
while (Object.values(attacks).some((a) => a.open > 0)) await new Promise((resolve) => setTimeout(resolve, 50));
const statuses = Object.fromEntries(Object.entries(attacks).map(([name, a]) => [name, a.statusCounts()]));
console.log(JSON.stringify({ closedAfterMs: Math.round(performance.now() - started), statuses }));
for (const attack of Object.values(attacks)) attack.destroy();
