using System.Globalization;
using CsCheck;
using Kedge.Server.Routing;
using Kedge.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kedge.Server.Tests.Routing;

/// <summary>
/// Host and port parsing on generated authorities, held to its contract: never throws, the port is -1 (malformed)
/// or 1..65535 (0 only as the default given), and a well-formed <c>host:port</c> splits back into its parts.
/// </summary>
public sealed class RequestTargetProperties
{
    private static readonly Gen<string> Label = Gen.String[Gen.Char["abcxyz0189-"], 1, 8];

    private static readonly Gen<string> Name = Label.Array[1, 4].Select(labels => string.Join('.', labels));

    private static readonly Gen<string> Ipv4 = Gen.Byte.Array[4].Select(b => new System.Net.IPAddress(b).ToString());

    private static readonly Gen<string> Ipv6 = Gen.Byte.Array[16].Select(b => new System.Net.IPAddress(b).ToString());

    /// <summary>A host as it appears in an authority: a name, an IPv4 address, or an IPv6 address in brackets.</summary>
    private static readonly Gen<(string Written, string Host)> Host = Gen.OneOf(
        Name.Select(n => (n, n)),
        Ipv4.Select(a => (a, a)),
        Ipv6.Select(a => ($"[{a}]", a)));

    private static readonly Gen<string> Garbage = Gen.OneOf(
        Gen.String[0, 12],
        Gen.String[Gen.Char["[]:0123456789abc.%-+ "], 0, 14],
        Gen.OneOf(":", "[", "]", "[]", "[:", "[::1", "[::1]:", "::1", "a:b:c", ":80", "a:+80", "a:-1", "a: 80", "a:٣", "a:99999999999999999999"));

    /// <summary>What may follow the host: nothing, a port, an empty port, an out-of-range or malformed one.</summary>
    private static readonly Gen<string> PortPart = Gen.OneOf(
        Gen.Const(() => string.Empty),
        Gen.Int[0, 65535].Select(p => ":" + p.ToString(CultureInfo.InvariantCulture)),
        Gen.Const(() => ":"),
        Gen.Int[65536, int.MaxValue].Select(p => ":" + p.ToString(CultureInfo.InvariantCulture)),
        Gen.OneOf(":0080", ":-1", ":+1", ":1e3", ":80a", ":4294967376", ": 80", "::80"));

    [Fact]
    public void SplitAuthority_AnyAuthority_NeverThrowsAndPortIsInRange()
    {
        var authority = Gen.OneOf(Gen.Select(Host, PortPart).Select(t => t.Item1.Written + t.Item2), Garbage);
        Gen.Select(authority, Gen.OneOf(80, 443, -1)).Sample(
            (text, defaultPort) =>
            {
                var (host, port) = RequestTarget.SplitAuthority(text, defaultPort);

                Assert.NotNull(host);
                Assert.InRange(port, -1, 65535);
            },
            iter: PropertyRuns.Iterations(20_000));
    }

    [Fact]
    public void SplitAuthority_WellFormedHostAndPort_GivesBackTheParts()
    {
        Gen.Select(Host, Gen.Int[1, 65535]).Sample(
            (host, port) =>
            {
                Assert.Equal((host.Host, port), RequestTarget.SplitAuthority($"{host.Written}:{port.ToString(CultureInfo.InvariantCulture)}", 80));
                Assert.Equal((host.Host, 443), RequestTarget.SplitAuthority(host.Written, 443));
                Assert.Equal((host.Host, 443), RequestTarget.SplitAuthority(host.Written + ":", 443)); // an empty port is no port
                Assert.Equal((host.Host, -1), RequestTarget.SplitAuthority(host.Written + ":0", 443)); // port 0 is never a target
            },
            iter: PropertyRuns.Iterations(20_000));
    }

    [Fact]
    public void From_AnyHostHeaderOrAbsoluteTarget_NeverThrowsAndPortIsInRange()
    {
        var authority = Gen.OneOf(Gen.Select(Host, PortPart).Select(t => t.Item1.Written + t.Item2), Garbage);
        var rawTarget = Gen.OneOf(
            Gen.Const(() => "/"),
            Gen.Select(Gen.OneOf("http://", "https://", "HTTP://", "httpx://", "http:/", "http:"), authority, Gen.OneOf("/", "/a/../b", "", "?q"))
                .Select(t => t.Item1 + t.Item2 + t.Item3));
        Gen.Select(authority, rawTarget, Gen.OneOf("GET", "CONNECT", "POST")).Sample(
            (hostHeader, target, method) =>
            {
                var context = new DefaultHttpContext();
                context.Request.Method = method;
                context.Request.Headers.Host = hostHeader; // as Kestrel sets it (HostString's setter would encode it)
                context.Request.Path = "/p";
                context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;

                var result = RequestTarget.From(context);

                Assert.NotNull(result.Host);
                Assert.InRange(result.Port, -1, 65535);
            },
            iter: PropertyRuns.Iterations(10_000),
            print: t => $"Host: {t.Item1}, target: {t.Item2}, method: {t.Item3}");
    }
}
