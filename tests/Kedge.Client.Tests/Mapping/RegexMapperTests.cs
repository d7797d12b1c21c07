using Kedge.Client.Mapping;

namespace Kedge.Client.Tests.Mapping;

public class RegexMapperTests
{
    private const string IssuePattern = @"^(?<svc>[a-z0-9-]+)\.(?<cluster>[a-z0-9-]+)\.internal(:[0-9]+)?$";

    [Theory]
    [InlineData(IssuePattern, "orders.cluster-b.internal", null, "https://cluster-b.kedge.example.com/")]
    [InlineData(IssuePattern, "orders.cluster-b.internal", 8080, "https://cluster-b.kedge.example.com/")]
    [InlineData(@"^(?P<svc>[a-z0-9-]+)\.(?P<cluster>[a-z0-9-]+)\.internal(:[0-9]+)?$", "orders.cluster-b.internal", 8080, "https://cluster-b.kedge.example.com/")]
    [InlineData(@"(?P<cluster>[a-z0-9]+)\.internal", "a.b.us1.internal.example.com", null, "https://us1.kedge.example.com/")]
    public void Map_MatchingTarget_SubstitutesNamedGroups(string pattern, string host, int? port, string expected)
    {
        var route = KedgeMapper.Regex(pattern, "https://${cluster}.kedge.example.com").Map(host, port);

        Assert.Equal(expected, route!.KedgeUrl.ToString());
    }

    [Fact]
    public void Map_PortInTemplate_ComesFromGroup()
    {
        var mapper = KedgeMapper.Regex(@"^(?<cluster>[a-z0-9]+)\.internal:(?<port>[0-9]+)$", "https://${cluster}.kedge.example.com:${port}");

        Assert.Equal("https://us1.kedge.example.com:8443/", mapper.Map("us1.internal", 8443)!.KedgeUrl.ToString());
        Assert.Null(mapper.Map("us1.internal", null));
    }

    [Fact]
    public void Map_PortGivenButPatternAnchoredOnHost_IsNotKedgeDestination()
    {
        var mapper = KedgeMapper.Regex(@"^(?<cluster>[a-z0-9]+)\.internal$", "https://${cluster}.kedge.example.com");

        Assert.NotNull(mapper.Map("us1.internal", null));
        Assert.Null(mapper.Map("us1.internal", 8080));
    }

    [Fact]
    public void Regex_TemplateNamesUnknownGroup_ThrowsNamingGroup()
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeMapper.Regex(@"^(?<svc>[a-z]+)\.internal$", "https://${cluster}.kedge.example.com"));

        Assert.Contains("${cluster}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(?<cluster>...)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(unclosed", "does not compile")]
    [InlineData(@"^(?<a>x)\k<a>$", "does not compile")]
    [InlineData("", "pattern is empty")]
    public void Regex_BadPattern_Throws(string pattern, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => KedgeMapper.Regex(pattern, "https://kedge.example.com"));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_TemplateProducingInvalidUrl_ThrowsMappingException()
    {
        var mapper = KedgeMapper.Regex(@"^(?<x>[a-z]+)\.internal$", "${x}://kedge.example.com");

        var ex = Assert.Throws<KedgeMappingException>(() => mapper.Map("ftp.internal", null));

        Assert.Contains("URL template", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Map_CatastrophicBacktrackingPattern_CompletesInLinearTime()
    {
        // With a backtracking engine this input takes 2^40 steps; the non-backtracking engine answers at once.
        var mapper = KedgeMapper.Regex("^(a+)+$", "https://kedge.example.com");
        var input = new string('a', 40) + "b";

        var route = await Task.Run(() => mapper.Map(input, null)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(route);
    }

    [Theory]
    [InlineData("evil.example.com.internal")]
    [InlineData("user@evil.internal")]
    public void Map_CapturedValueIsNotOneLabel_MappingErrorNotAnotherHost(string host)
    {
        var mapper = KedgeMapper.Regex(@"^(?<cluster>.+)\.internal$", "https://kedge-${cluster}.example.com");

        var ex = Assert.Throws<KedgeMappingException>(() => mapper.Map(host, null));

        Assert.Contains("not a single DNS label", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_CapturedLabel_Substituted()
    {
        var mapper = KedgeMapper.Regex(@"^(?<cluster>.+)\.internal$", "https://kedge-${cluster}.example.com");

        Assert.Equal(new Uri("https://kedge-cluster-b.example.com"), mapper.Map("cluster-b.internal", null)!.KedgeUrl);
    }
}
