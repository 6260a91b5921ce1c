import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { AuthService } from "@faultmaven/contract/auth";
import { h2load } from "./h2load.js";
import type { HotCall } from "./hot-call.js";
import type { ServiceUnderTest } from "./service-under-test.js";
import { LOAD, pooled, type Figures } from "./side-by-side.js";

/** Logins in flight during the flood (the figure), and the ValidateToken load measured meanwhile (1 × 4 streams). */
export const FLOOD = { logins: 50, connections: 1, streams: 4 };

/** ValidateToken alone and under the flood, and what the flood's Logins got (codes, from the service's metrics). */
export interface FloodFigures {
  readonly alone: Figures;
  readonly flooded: Figures;
  readonly logins: Map<string, number>;
  readonly seconds: number;
}

/**
 * ValidateToken's latency without and with FLOOD.logins concurrent Logins
 * (each of its own user, so the login throttle stays out of it and every
 * Login runs argon2), rounds alternating (alone, flooded, ...) in the same
 * run. The flood comes from bench/login-flooder.ts in its own process.
 */
export async function loginFlood(
  auth: ServiceUnderTest<typeof AuthService.method>,
  validate: HotCall,
  address: string,
): Promise<FloodFigures> {
  const password = "login flood password";
  // One at a time: the service hashes only a few passwords at once.
  for (let i = 0; i < FLOOD.logins; i++) {
    await auth.client.createUser({ username: `flood_${i}`, email: `flood${i}@example.com`, password, roles: [] });
  }
  const load = { connections: FLOOD.connections, streams: FLOOD.streams, seconds: LOAD.seconds };
  const target = { port: auth.port, path: validate.path, request: validate.request };
  const alone = [];
  const flooded = [];
  const before = await auth.handled("Login");
  let seconds = 0;
  for (let round = 0; round < LOAD.rounds; round++) {
    alone.push(h2load(target, load));
    const flooder = spawn(
      process.execPath,
      ["--import", "tsx", "bench/login-flooder.ts", address, "flood_", password, String(FLOOD.logins)],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    await once(createInterface({ input: flooder.stdout! }), "line");
    const started = performance.now();
    flooded.push(h2load(target, load));
    seconds += (performance.now() - started) / 1000;
    flooder.stdin!.end();
    await once(flooder, "exit");
  }
  const after = await auth.handled("Login");
  const logins = new Map([...after].map(([code, count]) => [code, count - (before.get(code) ?? 0)]));
  return { alone: pooled(alone), flooded: pooled(flooded), logins, seconds };
}
