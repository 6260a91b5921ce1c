import type { PeerCertificate } from "node:tls";

/**
 * The workload identity a client certificate names: its SPIFFE ID (the one
 * `spiffe://` URI SAN), else its subject CN. A certificate that names more
 * than one SPIFFE ID, or more than one CN, is ambiguous and names no one.
 * Only certificates the TLS handshake verified against
 * GRPC_TLS_CLIENT_CA_FILE reach this (grpc-js hands over no other).
 */
export function identityOfCertificate(certificate: PeerCertificate | undefined): string | undefined {
  if (certificate === undefined) return undefined;
  const spiffeIds = subjectAltNames(certificate.subjectaltname ?? "")
    .filter((name) => name.type === "URI" && name.value.startsWith("spiffe://"))
    .map((name) => name.value);
  if (spiffeIds.length > 0) return spiffeIds.length === 1 ? spiffeIds[0] : undefined;
  const cn: unknown = certificate.subject?.CN;
  return typeof cn === "string" && cn !== "" ? cn : undefined;
}

/**
 * Node's `subjectaltname` text: `DNS:a, URI:spiffe://x, IP Address:1.2.3.4`;
 * a value holding a comma or a quote is written as a JSON string
 * (`URI:"a,b"`), so a forged-looking value cannot split into two names.
 */
export function subjectAltNames(text: string): { type: string; value: string }[] {
  const names: { type: string; value: string }[] = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  while (entry.lastIndex < text.length) {
    const match = entry.exec(text);
    if (match === null) return [];
    const [, type, raw] = match as unknown as [string, string, string];
    names.push({ type, value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw });
  }
  return names;
}
