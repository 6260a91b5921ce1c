import { MemorySessionStore } from "../src/memory/memory-session-store.js";
import { sessionStoreContract } from "./session-store-contract.js";
import { sessionStoreIdempotencyContract } from "./session-store-idempotency-contract.js";

sessionStoreContract("MemorySessionStore", async (policy) => new MemorySessionStore(policy));
sessionStoreIdempotencyContract("MemorySessionStore", async (policy) => new MemorySessionStore(policy));
