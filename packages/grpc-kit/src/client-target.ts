import { isIPv4, isIPv6 } from "node:net";

/**
 * The grpc-js target for one address ("host:port", or any target URI such
 * as "dns:svc.internal:50051") or for a static list of replicas. A list must
 * be IP literals ("127.0.0.1:50051", "[::1]:50051") of one family: grpc-js
 * resolves `ipv4:`/`ipv6:` lists itself, and hostnames belong in a `dns:`
 * target, which resolves to every replica's address.
 */
export function clientTarget(address: string | readonly string[]): string {
  if (typeof address === "string") return address;
  if (address.length === 0) throw new TypeError("createClient: the address list is empty");
  const hosts = address.map((a) => /^\[?(.*?)\]?:\d+$/.exec(a)?.[1] ?? "");
  if (hosts.every((h) => isIPv4(h))) return `ipv4:${address.join(",")}`;
  if (hosts.every((h) => isIPv6(h))) return `ipv6:${address.join(",")}`;
  throw new TypeError(
    `createClient: a list of addresses must be IPv4 or IPv6 literals with ports, got ${address.join(",")}; use a dns: target for hostnames`,
  );
}
