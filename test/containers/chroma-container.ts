import { waitFor } from "@faultmaven/test-kit";
import { removeContainers, runOnHostNetwork, uniqueName } from "./docker.js";

/** A ChromaDB container (chromadb/chroma:1.0.0) on a loopback port with host networking. */
export class ChromaContainer {
  private readonly name = uniqueName("chroma");

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await runOnHostNetwork(
      this.name,
      "chromadb/chroma:1.0.0",
      "run",
      "--host",
      "127.0.0.1",
      "--port",
      String(this.port),
      "--path",
      "/data",
    );
    await waitFor("chroma container to answer its heartbeat", async () => (await fetch(`${this.url}/api/v2/heartbeat`)).ok, 60_000, 200);
  }

  async remove(): Promise<void> {
    await removeContainers(this.name);
  }
}
