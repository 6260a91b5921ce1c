import { MemoryAuthStore } from "../src/memory/memory-auth-store.js";
import { authStoreContract } from "./auth-store-contract.js";

authStoreContract("MemoryAuthStore", async () => new MemoryAuthStore());
