/** A gRPC length-prefixed message (uncompressed): flag byte 0, 4-byte big-endian length, the protobuf bytes. */
export function grpcRequestFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}
