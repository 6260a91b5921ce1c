import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { credentials, makeGenericClientConstructor, Server, ServerCredentials } from "@grpc/grpc-js";
import { SessionService } from "@faultmaven/contract/session";
import { addReflection } from "./reflection.js";

/** ServerReflectionRequest { file_containing_symbol = 4 } */
const request = (symbol: string) => Buffer.from(new BinaryWriter().tag(4, 2).string(symbol).finish());

/** The file names in a ServerReflectionResponse's file_descriptor_response (field 4, its field 1). */
function fileNames(bytes: Buffer): string[] {
  const names: string[] = [];
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field !== 4) {
      reader.skip(wireType);
      continue;
    }
    const inner = new BinaryReader(reader.bytes());
    while (inner.pos < inner.len) {
      const [innerField, innerType] = inner.tag();
      if (innerField === 1) names.push(fromBinary(FileDescriptorProtoSchema, inner.bytes()).name);
      else inner.skip(innerType);
    }
  }
  return names;
}

/** Asks the server's v1 reflection service which files define `symbol`. */
function filesContaining(port: number, symbol: string): Promise<string[]> {
  const Client = makeGenericClientConstructor(
    {
      info: {
        path: "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        requestStream: true,
        responseStream: true,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    "ServerReflection",
  );
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as {
    info(): NodeJS.ReadWriteStream & { end(): void };
    close(): void;
  };
  return new Promise((resolve, reject) => {
    const stream = client.info();
    stream.once("data", (bytes: Buffer) => {
      stream.end();
      client.close();
      resolve(fileNames(bytes));
    });
    stream.once("error", reject);
    stream.write(request(symbol));
  });
}

describe("server reflection", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = new Server();
    addReflection(server, [SessionService]);
    port = await new Promise((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
  });
  afterAll(() => server.forceShutdown());

  // grpcurl resolves the Any details of an error through reflection: these files must be served.
  it.each([
    ["google.rpc.BadRequest", "google/rpc/error_details.proto"],
    ["google.rpc.ErrorInfo", "google/rpc/error_details.proto"],
    ["google.rpc.Status", "google/rpc/status.proto"],
    ["faultmaven.session.v1.SessionService", "faultmaven/session/v1/session_service.proto"],
  ])("serves the file defining %s", async (symbol, file) => {
    expect(await filesContaining(port, symbol)).toContain(file);
  });
});
