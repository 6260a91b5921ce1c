import { createServer, request as forward, type IncomingHttpHeaders, type Server } from "node:http";

/** One request that went through the tap, with the upstream's answer. */
export interface TappedExchange {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly status: number;
}

/**
 * An HTTP proxy on a free loopback port in front of `target` that lets a
 * test act between the upstream's answer and the caller seeing it: `hold`
 * runs for every exchange once the upstream has answered and before the
 * answer is relayed. That orders events across processes deterministically
 * ("the content write succeeded, then Redis died, then the service went on").
 */
export class HttpTap {
  readonly exchanges: TappedExchange[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }, hold: (exchange: TappedExchange) => Promise<void>): Promise<HttpTap> {
    let tap: HttpTap | undefined;
    const server = createServer((incoming, outgoing) => {
      void readAll(incoming).then((body) => {
        const upstream = forward(
          { host: target.host, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (answer) => {
            void readAll(answer).then(async (answerBody) => {
              const exchange = {
                method: incoming.method ?? "GET",
                path: incoming.url ?? "/",
                body: body.toString("utf8"),
                status: answer.statusCode ?? 0,
              };
              tap!.exchanges.push(exchange);
              await hold(exchange).catch(() => undefined);
              outgoing.writeHead(exchange.status, relayable(answer.headers)).end(answerBody);
            });
          },
        );
        upstream.on("error", () => outgoing.writeHead(502).end());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    tap = new HttpTap(server, (server.address() as { port: number }).port);
    return tap;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}

/** The body is relayed whole, so framing headers from upstream no longer apply. */
function relayable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { "transfer-encoding": _chunked, "content-length": _length, connection: _connection, ...rest } = headers;
  return rest;
}
