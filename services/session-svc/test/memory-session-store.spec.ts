import { MemorySessionStore } from "../src/memory/memory-session-store.js";
import { sessionLimitsContract } from "./session-limits-contract.js";
import { sessionStoreContract } from "./session-store-contract.js";
import { sessionStoreIdempotencyContract } from "./session-store-idempotency-contract.js";
import { sessionWatchContract } from "./session-watch-contract.js";

const makeStore = async (policy: ConstructorParameters<typeof MemorySessionStore>[0]) => new MemorySessionStore(policy);
sessionStoreContract("MemorySessionStore", makeStore);
sessionStoreIdempotencyContract("MemorySessionStore", makeStore);
sessionLimitsContract("MemorySessionStore", makeStore);
sessionWatchContract("MemorySessionStore", async (policy, limits) => new MemorySessionStore(policy, Date.now, limits));
