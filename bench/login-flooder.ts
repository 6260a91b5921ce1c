/**
 * The login flood of `pnpm bench` (bench/login-flood.ts), in its own
 * process so that it keeps calling while h2load blocks the bench's event
 * loop: `count` loops, each logging its own user (`${prefix}${i}`) in again
 * and again, until stdin closes. Prints "flooding" once every loop has a
 * call in flight.
 */
import { AuthService } from "@faultmaven/contract/auth";
import { createClient } from "@faultmaven/grpc-kit";

const [address, prefix, password, count] = process.argv.slice(2) as [string, string, string, string];
const client = createClient(AuthService, address, { defaultTimeoutMs: 30_000 });
let stopping = false;
process.stdin.on("close", () => (stopping = true)).resume();

const loops = Array.from({ length: Number(count) }, async (_, i) => {
  while (!stopping) {
    await client.login({ identifier: { case: "username", value: `${prefix}${i}` }, password }).catch(() => undefined);
  }
});
console.log("flooding");
await Promise.all(loops);
client.close();
