using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Moq;

namespace Kedge.Client.Tests.Mapping;

public class KedgeMapperTests
{
    public static TheoryData<KedgeMapper> AllKinds() =>
    [
        KedgeMapper.Single(new Uri("https://kedge.example.com")),
        KedgeMapper.Suffix("*.kedge", ".kedge.example.com"),
        KedgeMapper.Direct([new("a.internal", new KedgeRoute(new Uri("https://kedge.example.com")))]),
        KedgeMapper.Regex("(?<x>.*)", "https://kedge.example.com"),
        KedgeMapper.FirstMatch([KedgeMapper.Single(new Uri("https://kedge.example.com"))]),
    ];

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Map_IpLiteral_ThrowsForEveryMapperKind(KedgeMapper mapper)
    {
        foreach (var (host, port) in new (string, int?)[] { ("10.0.0.1", 80), ("127.0.0.1", null), ("::1", 443), ("[::1]", null), ("fe80::1", null), ("2130706433", null), ("0x7f.1", null) })
        {
            var ex = Assert.Throws<KedgeMappingException>(() => mapper.Map(host, port));
            Assert.Contains("kedge requires a host name to route by, but was given the IP address", ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("10.0.0.1", 80, "10.0.0.1:80")]
    [InlineData("::1", 443, "[::1]:443")]
    [InlineData("127.0.0.1", null, "127.0.0.1")]
    public void Map_IpLiteral_MessageShowsTarget(string host, int? port, string shown)
    {
        var ex = Assert.Throws<KedgeMappingException>(() => KedgeMapper.Single(new Uri("https://k.example.com")).Map(host, port));

        Assert.Contains($"IP address {shown}.", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("svc1.ns")]
    [InlineData("123.example.com")]
    [InlineData("a-1.b-2.c3")]
    public void Map_NameWithDigits_IsNotTakenForIp(string host)
    {
        Assert.NotNull(KedgeMapper.Single(new Uri("https://k.example.com")).Map(host, null));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Map_PortOutOfRange_Throws(int port)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KedgeMapper.Single(new Uri("https://k.example.com")).Map("a", port));
    }

    [Fact]
    public void Single_ReturnsSameRouteWithTokensForAnyName()
    {
        var proxy = KedgeTokenSource.FromValue("p", "proxy");
        var backend = KedgeTokenSource.FromValue("b", "backend");
        var mapper = KedgeMapper.Single(new Uri("https://kedge.cluster-b.example.com"), proxy, backend);

        var route = mapper.Map("anything.at.all", 1234);

        Assert.Equal("https://kedge.cluster-b.example.com/", route!.KedgeUrl.ToString());
        Assert.Same(proxy, route.ProxyAuth);
        Assert.Same(backend, route.BackendAuth);
        Assert.Same(route, mapper.Map("other", null));
    }

    [Fact]
    public void FirstMatch_TriesInOrder_FirstMatchWins()
    {
        var direct = KedgeMapper.Direct([new("special.us1.kedge", new KedgeRoute(new Uri("https://special.example.com")))]);
        var suffix = KedgeMapper.Suffix("*.kedge", ".kedge.example.com");
        var mapper = KedgeMapper.FirstMatch([direct, suffix]);

        Assert.Equal("https://special.example.com/", mapper.Map("special.us1.kedge", null)!.KedgeUrl.ToString());
        Assert.Equal("https://us1.kedge.example.com/", mapper.Map("other.us1.kedge", null)!.KedgeUrl.ToString());
        Assert.Null(mapper.Map("example.org", null));
    }

    [Fact]
    public void FirstMatch_ErrorInEarlierMapper_AbortsWithThatError()
    {
        var broken = KedgeMapper.Regex(@"^(?<x>[a-z]+)\.internal$", "${x}://kedge.example.com");
        var fallback = KedgeMapper.Single(new Uri("https://kedge.example.com"));

        Assert.Throws<KedgeMappingException>(() => KedgeMapper.FirstMatch([broken, fallback]).Map("ftp.internal", null));
    }

    [Theory]
    [InlineData("ftp://kedge.example.com", "absolute http or https URL")]
    [InlineData("https://kedge.example.com/prefix", "must not have a path or query")]
    [InlineData("https://kedge.example.com/?a=b", "must not have a path or query")]
    public void KedgeRoute_InvalidUrl_Throws(string url, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new KedgeRoute(new Uri(url)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://alice:s3cret@kedge.example.com")]
    [InlineData("http://alice@kedge.example.com:8080")]
    public void KedgeRoute_UserInfoInUrl_ThrowsWithoutEchoingIt(string url)
    {
        var ex = Assert.Throws<ArgumentException>(() => new KedgeRoute(new Uri(url)));

        Assert.Contains("must not carry user info", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ProxyAuth", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Single_UserInfoInUrl_ThrowsBeforeItReachesTheDescription()
        => Assert.Throws<ArgumentException>(() => KedgeMapper.Single(new Uri("https://alice:s3cret@kedge.example.com")));

    [Fact]
    public void Regex_UserInfoInTemplate_ThrowsAtConfigurationWithoutEchoingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeMapper.Regex(@"^(?<c>[a-z]+)\.kedge$", "https://alice:s3cret@${c}.kedge.example.com"));

        Assert.Contains("must not carry user info", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CustomMapper_DerivedClass_GetsIpCheckForFree()
    {
        var mapper = new Mock<KedgeMapper>("mock mapper") { CallBase = true };

        Assert.Throws<KedgeMappingException>(() => mapper.Object.Map("10.1.2.3", null));
        Assert.Equal("mock mapper", mapper.Object.Description);
    }
}
