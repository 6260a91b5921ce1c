import type { PeerCertificate } from "node:tls";
import { Metadata, type ServerUnaryCall } from "@grpc/grpc-js";
import { callerOf, CLIENT_ADDRESS_HEADER, identityOfCertificate, peerAddress } from "@faultmaven/grpc-kit";

const certificate = (subjectaltname: string | undefined, CN?: string | string[]) =>
  ({ subjectaltname, subject: CN === undefined ? {} : { CN } }) as unknown as PeerCertificate;

describe("identityOfCertificate", () => {
  it("takes the SPIFFE URI SAN over the subject CN, ignoring other names", () => {
    expect(identityOfCertificate(certificate("DNS:gw.local, URI:spiffe://faultmaven/gateway, IP Address:10.0.0.1", "gw"))).toBe(
      "spiffe://faultmaven/gateway",
    );
  });

  it("falls back to the subject CN when no SAN is a SPIFFE ID", () => {
    expect(identityOfCertificate(certificate("DNS:gw.local, URI:https://example.com/x", "legacy-client"))).toBe("legacy-client");
    expect(identityOfCertificate(certificate(undefined, "legacy-client"))).toBe("legacy-client");
  });

  it("reads a quoted SAN whole, so a comma inside it cannot forge a second name", () => {
    expect(identityOfCertificate(certificate('DNS:"a, URI:spiffe://faultmaven/admin", URI:spiffe://faultmaven/agent'))).toBe(
      "spiffe://faultmaven/agent",
    );
    expect(identityOfCertificate(certificate('URI:"spiffe://faultmaven/odd,name"'))).toBe("spiffe://faultmaven/odd,name");
  });

  it("names no one for an ambiguous certificate (two SPIFFE IDs, two CNs) or none at all", () => {
    expect(identityOfCertificate(certificate("URI:spiffe://faultmaven/a, URI:spiffe://faultmaven/b", "a"))).toBeUndefined();
    expect(identityOfCertificate(certificate(undefined, ["a", "b"]))).toBeUndefined();
    expect(identityOfCertificate(certificate(undefined))).toBeUndefined();
    expect(identityOfCertificate(undefined)).toBeUndefined();
  });
});

describe("peerAddress", () => {
  it.each([
    ["10.1.2.3:5555", "10.1.2.3"],
    ["::1:5555", "::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["::ffff:10.1.2.3:5555", "10.1.2.3"],
    ["unknown", "unknown"],
  ])("%s -> %s", (peer, address) => {
    expect(peerAddress(peer)).toBe(address);
  });
});

describe("callerOf", () => {
  const call = (identity: string | undefined, passed: string[]) => {
    const metadata = new Metadata();
    for (const value of passed) metadata.add(CLIENT_ADDRESS_HEADER, value);
    return {
      metadata,
      getPeer: () => "10.0.0.5:40000",
      getAuthContext: () => (identity === undefined ? {} : { sslPeerCertificate: certificate(`URI:${identity}`) }),
    } as unknown as ServerUnaryCall<unknown, unknown>;
  };
  const gatewayOnly = (identity: string | undefined) => identity === "spiffe://faultmaven/gateway";

  it("takes the end user's address from a trusted gateway", () => {
    expect(callerOf(call("spiffe://faultmaven/gateway", ["203.0.113.7"]), gatewayOnly)).toEqual({
      caller: { identity: "spiffe://faultmaven/gateway", source: "203.0.113.7" },
      peer: "10.0.0.5:40000",
    });
  });

  it("ignores the address from anyone else, using the peer's address without its port", () => {
    expect(callerOf(call("spiffe://faultmaven/agent", ["203.0.113.7"]), gatewayOnly)).toEqual({
      caller: { identity: "spiffe://faultmaven/agent", source: "10.0.0.5" },
      peer: "10.0.0.5:40000",
    });
    expect(callerOf(call(undefined, ["203.0.113.7"]), gatewayOnly).caller).toEqual({ identity: undefined, source: "10.0.0.5" });
  });

  it("keeps the peer's address, saying why, when a trusted gateway passes something that is not one IP address", () => {
    for (const passed of [["203.0.113.7, 10.0.0.1"], ["example.com"], ["203.0.113.7", "203.0.113.8"]]) {
      expect(callerOf(call("spiffe://faultmaven/gateway", passed), gatewayOnly)).toEqual({
        caller: { identity: "spiffe://faultmaven/gateway", source: "10.0.0.5" },
        problem: `${CLIENT_ADDRESS_HEADER} must be one IP address`,
        peer: "10.0.0.5:40000",
      });
    }
  });
});
