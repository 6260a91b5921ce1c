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
 * `problem` says why a trusted caller's address was not taken. `peer` is the
 * connection's `address:port`.
 */
export function callerOf(
  call: ServerCall,
  trustsClientAddressFrom: (identity: string | undefined) => boolean,
): { caller: Caller; problem?: string; peer: string } {
  const connection = connectionOf(call);
  const { identity, peer } = connection;
  const passed = call.metadata.get(CLIENT_ADDRESS_HEADER);
  if (passed.length === 0 || !trustsClientAddressFrom(identity)) return { caller: connection.caller, peer };
  const address = String(passed[0]).trim();
  if (passed.length > 1 || isIP(address) === 0) {
    return { caller: connection.caller, problem: `${CLIENT_ADDRESS_HEADER} must be one IP address`, peer };
  }
  return { caller: { identity, source: unmapped(address) }, peer };
}

/** What every call on one connection shares: its peer, and the caller it is when no gateway names another address. */
interface Connection {
  readonly identity: string | undefined;
  readonly peer: string;
  readonly caller: Caller;
}

// A connection's peer and client certificate do not change; reading the
// certificate costs ~40-150 µs (Node builds the whole certificate object),
// so all of it once per connection (HTTP/2 session).
const connections = new WeakMap<object, Connection>();

function connectionOf(call: ServerCall): Connection {
  // grpc-js's unary call wraps the intercepting call that leads to the HTTP/2 stream.
  const inner = (call as { call?: ServerInterceptingCallInterface }).call;
  const session = inner === undefined ? undefined : http2StreamOf(inner).session;
  let connection = session === undefined ? undefined : connections.get(session);
  if (connection === undefined) {
    const identity = identityOfCertificate(call.getAuthContext().sslPeerCertificate);
    const peer = call.getPeer();
    connection = { identity, peer, caller: { identity, source: peerAddress(peer) } };
    if (session !== undefined) connections.set(session, connection);
  }
  return connection;
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
