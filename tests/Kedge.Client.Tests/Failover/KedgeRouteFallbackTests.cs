using Kedge.Client.Configuration;
using Microsoft.Extensions.Options;

namespace Kedge.Client.Tests.Failover;

public sealed class KedgeRouteFallbackTests
{
    [Fact]
    public void KedgeUrls_WithFallbacks_InPriorityOrder()
    {
        var route = new KedgeRoute(new Uri("https://b.example.com")) { FallbackKedgeUrls = [new Uri("https://c.example.com:8443")] };

        Assert.Equal([new Uri("https://b.example.com"), new Uri("https://c.example.com:8443")], route.KedgeUrls);
    }

    [Fact]
    public void FallbackKedgeUrls_OtherScheme_Refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new KedgeRoute(new Uri("https://b.example.com")) { FallbackKedgeUrls = [new Uri("http://c.example.com")] });

        Assert.Contains("all kedges of one route use the same scheme", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FallbackKedgeUrls_SameKedgeTwice_Refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new KedgeRoute(new Uri("https://b.example.com")) { FallbackKedgeUrls = [new Uri("https://B.example.com:443")] });

        Assert.Contains("appears twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FallbackKedgeUrls_WithPath_Refused()
        => Assert.Throws<ArgumentException>(() => new KedgeRoute(new Uri("https://b.example.com")) { FallbackKedgeUrls = [new Uri("https://c.example.com/api")] });

    [Fact]
    public void Create_BadFallbackUrls_EveryErrorNamesItsKey()
    {
        var options = new KedgeClientOptions();
        var single = new KedgeRouteOptions { Single = new() { Url = "https://b.example.com" } };
        single.Single.FallbackUrls.Add("c.example.com");
        var direct = new KedgeRouteOptions { Direct = new() { Host = "orders", Url = "https://b.example.com" } };
        direct.Direct.FallbackUrls.Add("http://c.example.com");
        options.Routes.Add(single);
        options.Routes.Add(direct);

        var ex = Assert.Throws<OptionsValidationException>(() => KedgeClient.Create(options));

        Assert.Contains(ex.Failures, e => e.StartsWith("Kedge:Routes:0:Single:FallbackUrls: entry 0, 'c.example.com', is not an absolute URL", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, e => e.StartsWith("Kedge:Routes:1:Direct:FallbackUrls: The fallback kedge URL 'http://c.example.com/' uses http", StringComparison.Ordinal));
        Assert.Equal(2, ex.Failures.Count());
    }
}
