using Kedge.Client.Mapping;

namespace Kedge.Client.Tests.Mapping;

public class SuffixMapperTests
{
    [Theory]
    [InlineData("*.kedge", ".kedge.example.com", "orders.shop.svc.us1.kedge", null, "https://us1.kedge.example.com/")]
    [InlineData("*.kedge", ".kedge.example.com", "orders.shop.svc.us1.kedge", 8080, "https://us1.kedge.example.com/")]
    [InlineData("*.kedge", ".kedge.example.com", "us1.kedge", null, "https://us1.kedge.example.com/")]
    [InlineData("*.*.clusters.local", ".example.com", "svc.ns.us1.prod.clusters.local", null, "https://us1.prod.example.com/")]
    [InlineData("*.*.clusters.local", ".example.com", "us1.prod.clusters.local", null, "https://us1.prod.example.com/")]
    [InlineData("*.kedge", ".kedge.example.com", "Orders.Shop.SVC.US1.KEDGE", null, "https://us1.kedge.example.com/")]
    [InlineData("*.kedge", ".kedge.example.com:8443", "a.us1.kedge", null, "https://us1.kedge.example.com:8443/")]
    [InlineData("*.kedge", ".kedge.example.com", "orders.us1.kedge.", null, "https://us1.kedge.example.com/")]
    [InlineData("*.kedge", ".kedge.example.com", "test_endpoint.us_1.kedge", null, "https://us_1.kedge.example.com/")]
    public void Map_MatchingHost_BuildsKedgeUrlFromCapturedLabels(string pattern, string suffix, string host, int? port, string expected)
    {
        var route = KedgeMapper.Suffix(pattern, suffix).Map(host, port);

        Assert.NotNull(route);
        Assert.Equal(expected, route.KedgeUrl.ToString());
    }

    [Theory]
    [InlineData("*.kedge", "kedge")]
    [InlineData("*.kedge", "orders.shop.svc.us1.kedge.example.com")]
    [InlineData("*.*.clusters.local", "prod.clusters.local")]
    [InlineData("*.*.clusters.local", "svc.ns.us1.prod.clusters.remote")]
    [InlineData("*.kedge", "localhost")]
    public void Map_NonMatchingHost_IsNotKedgeDestination(string pattern, string host)
    {
        Assert.Null(KedgeMapper.Suffix(pattern, ".example.com").Map(host, null));
    }

    [Fact]
    public void Map_HttpScheme_BuildsHttpUrl()
    {
        var route = KedgeMapper.Suffix("*.kedge", ".kedge.local", "http").Map("svc.a.kedge", null);

        Assert.Equal("http://a.kedge.local/", route!.KedgeUrl.ToString());
        Assert.False(route.UsesTls);
    }

    [Theory]
    [InlineData("*.kedge", "kedge.example.com", "https", "suffixMapper needs to start with a dot")]
    [InlineData("kedge", ".kedge.example.com", "https", "matchPattern must start with a wildcard match *.")]
    [InlineData("*..kedge", ".kedge.example.com", "https", "empty label")]
    [InlineData("*.kedge", ".kedge.example.com", "ftp", "scheme must be http or https")]
    [InlineData("*.kedge", ".kedge example.com", "https", "does not form a valid host name")]
    public void Suffix_InvalidArguments_ThrowsWithGoMessageAndFix(string pattern, string suffix, string scheme, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeMapper.Suffix(pattern, suffix, scheme));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_SameHostTwice_ReturnsSameRouteAndKeepsTokenSources()
    {
        var token = Kedge.Client.Tokens.KedgeTokenSource.FromValue("mesh", "t0k3n");
        var mapper = KedgeMapper.Suffix("*.kedge", ".kedge.example.com", proxyAuth: token);

        var first = mapper.Map("a.us1.kedge", null);
        var second = mapper.Map("a.us1.kedge", 80);

        Assert.Same(first, second);
        Assert.Same(token, first!.ProxyAuth);
    }

    // Found by KedgeMapperProperties: the captured labels went into the kedge URL unchecked, so a target name could end
    // the host early ("com#" sent the route, with its credentials, to https://com/) or fail with UriFormatException.
    [Theory]
    [InlineData("a é[.kedge")]
    [InlineData("a b.kedge")]
    [InlineData("evil.com#.kedge")]
    [InlineData("x.evil.com/.kedge")]
    [InlineData("user@evil.kedge")]
    [InlineData("a.b?.kedge")]
    public void Map_CapturedLabelNotADnsLabel_ThrowsMappingException(string host)
    {
        var mapper = KedgeMapper.Suffix("*.kedge", ".kedge.example.com");

        var ex = Assert.Throws<KedgeMappingException>(() => mapper.Map(host, null));

        Assert.Contains("not a single DNS label", ex.Message, StringComparison.Ordinal);
    }
}
