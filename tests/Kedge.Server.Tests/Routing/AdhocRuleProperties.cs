using System.Net;
using System.Net.Sockets;
using CsCheck;
using Kedge.Server.Configuration;
using Kedge.Server.Routing;
using Kedge.Testing;

namespace Kedge.Server.Tests.Routing;

/// <summary>
/// The adhoc address and port rules against a reference model written from the README: loopback, link-local,
/// unspecified, multicast (and broadcast, cloud metadata) addresses are refused unless the rule lists a network holding
/// them; an IPv4 address inside IPv6 (mapped, compatible, NAT64, 6to4) is judged as that IPv4 address.
/// </summary>
public sealed class AdhocRuleProperties
{
    private static readonly Gen<IPAddress> Ipv4 = Gen.Frequency(
        (3, Gen.Byte.Array[4].Select(b => new IPAddress(b))),
        (3, Gen.Select(Gen.OneOf<byte>(0, 10, 100, 127, 169, 172, 192, 223, 224, 239, 240, 255), Gen.OneOf<byte>(0, 100, 168, 254, 255), Gen.Byte, Gen.Byte)
            .Select(t => new IPAddress(new[] { t.Item1, t.Item2, t.Item3, t.Item4 }))),
        (1, Gen.OneOf("100.100.100.200", "255.255.255.255", "0.0.0.0", "127.0.0.1", "169.254.169.254").Select(IPAddress.Parse)));

    private static readonly Gen<IPAddress> Ipv6 = Gen.Frequency(
        (3, Gen.Byte.Array[16].Select(b => new IPAddress(b))),
        (3, Gen.Select(Gen.OneOf<ushort>(0, 0x2001, 0x2002, 0x64, 0xfc00, 0xfd00, 0xfe80, 0xfebf, 0xfec0, 0xff02), Gen.Byte.Array[14])
            .Select(t => new IPAddress([(byte)(t.Item1 >> 8), (byte)t.Item1, .. t.Item2]))),
        (2, Gen.Select(Ipv4, Gen.Int[0, 3]).Select(t => Embed(t.Item1, t.Item2))),
        (1, Gen.OneOf("::", "::1", "fd00:ec2::254", "fe80::1", "ff02::1", "2001:db8::1").Select(IPAddress.Parse)));

    /// <summary>Any address, sometimes with an IPv6 scope id (as a literal like <c>fe80::1%2</c> resolves to).</summary>
    private static readonly Gen<IPAddress> Address = Gen.OneOf(
        Ipv4,
        Ipv6,
        Gen.Select(Ipv6, Gen.Long[1, 9]).Select(t => new IPAddress(t.Item1.GetAddressBytes(), t.Item2)));

    private static readonly Gen<string> Network = Gen.OneOf(
        Gen.OneOf("127.0.0.0/8", "169.254.169.254/32", "0.0.0.0/8", "224.0.0.0/4", "::1/128", "fe80::/10", "ff00::/8", "::/128", "fd00:ec2::254/128", "100.100.100.200/32", "10.0.0.0/8"),
        Gen.Select(Address, Gen.Int[0, 128]).Select(t => Cidr(t.Item1, t.Item2)));

    [Fact]
    public void MayConnect_AnyAddress_AgreesWithTheModel()
    {
        Gen.Select(Address, Network.Array[0, 3]).Sample(
            (address, networks) =>
            {
                var rule = new AdhocRule(0, new AdhocRuleOptions { DnsNameMatcher = "*.test", AllowedReservedNetworks = [.. networks] }, null);

                var mayConnect = rule.MayConnect(address);

                var judged = Normalize(address);
                var expected = !ModelIsReserved(judged) || networks.Select(IPNetwork.Parse).Any(n => n.Contains(judged));
                Assert.Equal(expected, mayConnect);
            },
            iter: PropertyRuns.Iterations(20_000),
            print: t => $"{t.Item1} (scope {(t.Item1.AddressFamily == AddressFamily.InterNetworkV6 ? t.Item1.ScopeId : 0)}) with [{string.Join(", ", t.Item2)}]");
    }

    [Fact]
    public void AllowsPort_AnyPort_AgreesWithTheModel()
    {
        var port = Gen.Frequency((3, Gen.Int[0, 65535]), (1, Gen.OneOf(0, 1, 80, 443, 8080, 65535, -1, 65536)));
        Gen.Select(port.Array[0, 4], Gen.Select(port, port).Array[0, 3], port, port).Sample(
            (allowed, ranges, defaultPort, requested) =>
            {
                var rule = new AdhocRule(0, new AdhocRuleOptions
                {
                    DnsNameMatcher = "*.test",
                    Port = new AdhocPortOptions
                    {
                        Default = defaultPort,
                        Allowed = [.. allowed],
                        AllowedRanges = [.. ranges.Select(r => new AdhocPortRangeOptions { From = r.Item1, To = r.Item2 })],
                    },
                }, null);

                Assert.Equal(allowed.Contains(requested) || ranges.Any(r => r.Item1 <= requested && requested <= r.Item2), rule.AllowsPort(requested));
                Assert.Equal(defaultPort == 0 ? 80 : defaultPort, rule.DefaultPort);
            },
            iter: PropertyRuns.Iterations(10_000));
    }

    /// <summary>The address the rule judges: an IPv4-mapped address as IPv4, any scope id dropped (it names an interface, not an address).</summary>
    private static IPAddress Normalize(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (bytes.Length == 16 && bytes.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xff && bytes[11] == 0xff)
        {
            return new IPAddress(bytes.AsSpan(12));
        }

        return new IPAddress(bytes);
    }

    private static bool ModelIsReserved(IPAddress address)
    {
        var b = address.GetAddressBytes();
        if (b.Length == 4)
        {
            return b[0] == 0 // this network, unspecified
                || b[0] == 127 // loopback
                || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata
                || b[0] >= 224 // multicast, reserved, broadcast
                || (b[0] == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200); // Alibaba Cloud metadata
        }

        // IPv4 inside IPv6: ::a.b.c.d (compatible, which also holds :: and ::1), 64:ff9b::a.b.c.d (NAT64), 2002:aabb:ccdd:: (6to4).
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0
            || (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0))
        {
            return ModelIsReserved(new IPAddress(b.AsSpan(12, 4)));
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return ModelIsReserved(new IPAddress(b.AsSpan(2, 4)));
        }

        return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) // fe80::/10 link-local
            || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) // fec0::/10 site-local
            || b[0] == 0xff // multicast
            || address.Equals(IPAddress.Parse("fd00:ec2::254")); // AWS metadata over IPv6
    }

    /// <summary>An IPv4 address as IPv4-mapped (0), IPv4-compatible (1), NAT64 (2) or 6to4 (3) IPv6.</summary>
    private static IPAddress Embed(IPAddress v4, int form)
    {
        var v6 = new byte[16];
        var b = v4.GetAddressBytes();
        switch (form)
        {
            case 0:
                v6[10] = v6[11] = 0xff;
                b.CopyTo(v6, 12);
                break;
            case 1:
                b.CopyTo(v6, 12);
                break;
            case 2:
                v6[1] = 0x64;
                v6[2] = 0xff;
                v6[3] = 0x9b;
                b.CopyTo(v6, 12);
                break;
            default:
                v6[0] = 0x20;
                v6[1] = 0x02;
                b.CopyTo(v6, 2);
                break;
        }

        return new IPAddress(v6);
    }

    /// <summary>A valid CIDR around <paramref name="address"/>: the prefix clipped to the family, host bits cleared.</summary>
    private static string Cidr(IPAddress address, int prefix)
    {
        var plain = new IPAddress(address.GetAddressBytes());
        var length = Math.Min(prefix, plain.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        var bytes = plain.GetAddressBytes();
        for (var bit = length; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return $"{new IPAddress(bytes)}/{length}";
    }
}
