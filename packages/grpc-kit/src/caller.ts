import { isIP } from "node:net";
import type { ServerInterceptingCallInterface, ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";

type ServerCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;
import type { Caller } from "@faultmaven/call-scope";
import { identityOfCertificate } from "./caller-identity.js";
import { http2StreamOf } from "./http2-stream-of.js";

/**
 * The metadata key in which a trusted gateway names the end user's address
 * (one IPv4 or IPv6 address, no port). From any other caller it is ignored.
 */
export const CLIENT_ADDRESS_HEADER = "x-faultmaven-client-address";

/**
 * Who a call comes from: the identity of its verified client certificate,
 * and as source the address a trusted gateway passed in
 * `x-faultmaven-client-address`, else the peer's address without its port.
 * `problem` says why a trusted caller's address was not taken.
 */
export function callerOf(
  call: ServerCall,
  trustsClientAddressFrom: (identity: string | undefined) => boolean,
): { caller: Caller; problem?: string } {
  const identity = identityOf(call);
  const peer = peerAddress(call.getPeer());
  const passed = call.metadata.get(CLIENT_ADDRESS_HEADER);
  if (passed.length === 0 || !trustsClientAddressFrom(identity)) return { caller: { identity, source: peer } };
  const address = String(passed[0]).trim();
  if (passed.length > 1 || isIP(address) === 0) {
    return { caller: { identity, source: peer }, problem: `${CLIENT_ADDRESS_HEADER} must be one IP address` };
  }
  return { caller: { identity, source: unmapped(address) } };
}

// A connection's client certificate does not change; reading it costs
// ~40-150 µs (Node builds the whole certificate object), so once per connection.
const identities = new WeakMap<object, string | undefined>();

function identityOf(call: ServerCall): string | undefined {
  const read = () => identityOfCertificate(call.getAuthContext().sslPeerCertificate);
  // grpc-js's unary call wraps the intercepting call that leads to the HTTP/2 stream.
  const inner = (call as { call?: ServerInterceptingCallInterface }).call;
  const session = inner === undefined ? undefined : http2StreamOf(inner).session;
  if (session === undefined) return read();
  if (!identities.has(session)) identities.set(session, read());
  return identities.get(session);
}

/** Peers seen lately and their addresses: every call asks (caller, "rpc" line), and a connection's peer never changes. */
const peerAddresses = new Map<string, string>();
const PEER_ADDRESSES_KEPT = 1024;

/** grpc-js names a peer `address:port` (IPv6 too, without brackets). */
export function peerAddress(peer: string): string {
  let address = peerAddresses.get(peer);
  if (address === undefined) {
    const match = /^\[?(.+?)\]?:\d+$/.exec(peer);
    address = unmapped(match?.[1] ?? peer);
    if (peerAddresses.size >= PEER_ADDRESSES_KEPT) peerAddresses.clear();
    peerAddresses.set(peer, address);
  }
  return address;
}

/** `::ffff:10.0.0.1` (an IPv4 client of a dual-stack socket) is 10.0.0.1. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
