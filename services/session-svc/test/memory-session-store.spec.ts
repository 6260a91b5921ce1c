import { MemorySessionStore } from "../src/memory/memory-session-store.js";
import { sessionStoreContract } from "./session-store-contract.js";

sessionStoreContract("MemorySessionStore", async (policy) => new MemorySessionStore(policy));
