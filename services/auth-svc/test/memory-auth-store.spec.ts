import { MemoryAuthStore } from "../src/memory/memory-auth-store.js";
import { authStoreContract } from "./auth-store-contract.js";
import { authStoreIdempotencyContract } from "./auth-store-idempotency-contract.js";

authStoreContract("MemoryAuthStore", async () => new MemoryAuthStore());
authStoreIdempotencyContract("MemoryAuthStore", async () => new MemoryAuthStore());
