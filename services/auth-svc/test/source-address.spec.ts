import { sourceAddress } from "../src/domain/source-address.js";

describe("the address a source counter is keyed by", () => {
  it.each([
    ["ipv4:203.0.113.7:5555", "203.0.113.7"],
    ["203.0.113.7:443", "203.0.113.7"],
    ["203.0.113.7", "203.0.113.7"],
    ["ipv6:[::ffff:203.0.113.7]:80", "203.0.113.7"],
    ["ipv6:[2001:db8:1:2:3:4:5:6]:5555", "2001:db8:1:2::/64"],
    ["2001:DB8:1:2::99", "2001:db8:1:2::/64"],
    ["[2001:db8::1]", "2001:db8:0:0::/64"],
    ["unix:/run/auth.sock", "unix:/run/auth.sock"],
  ])("%s -> %s", (source, address) => {
    expect(sourceAddress(source)).toBe(address);
  });

  it("puts every address of one IPv6 /64 on one counter, and the next /64 on another", () => {
    expect(sourceAddress("ipv6:[2001:db8:0:1::a]:1")).toBe(sourceAddress("ipv6:[2001:db8:0:1:ffff:ffff:ffff:ffff]:2"));
    expect(sourceAddress("ipv6:[2001:db8:0:1::a]:1")).not.toBe(sourceAddress("ipv6:[2001:db8:0:2::a]:1"));
  });
});
