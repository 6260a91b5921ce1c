import { MemoryReportStore } from "../src/memory/memory-report-store.js";
import { reportStoreContract } from "./report-store-contract.js";

reportStoreContract("MemoryReportStore", async () => new MemoryReportStore());
