import { isIPv4, isIPv6 } from "node:net";

/**
 * The address a source counter is keyed by: the caller's source without
 * its port or grpc-js's `ipv4:`/`ipv6:` prefix ("ipv4:203.0.113.7:5555" →
 * "203.0.113.7"). An IPv4-mapped IPv6 address counts as its IPv4 address,
 * and any other IPv6 address by its /64, the block one host usually holds
 * (counting single IPv6 addresses would give an attacker 2^64 fresh ones).
 * Anything else (a Unix socket, a format we do not know) is kept as given.
 */
export function sourceAddress(source: string): string {
  const bare = source
    .trim()
    .toLowerCase()
    .replace(/^ipv[46]:/, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(bare);
  const withPort = /^([^:]+):\d+$/.exec(bare);
  const host = bracketed?.[1] ?? (withPort && isIPv4(withPort[1]!) ? withPort[1]! : bare);
  if (isIPv6(host)) {
    const groups = ipv6Groups(host);
    if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
      return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join(".");
    }
    return `${groups
      .slice(0, 4)
      .map((g) => g.toString(16))
      .join(":")}::/64`;
  }
  return host;
}

/** The eight 16-bit groups of a valid IPv6 address (with `::` expanded and a trailing dotted IPv4 part converted). */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, "");
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}
