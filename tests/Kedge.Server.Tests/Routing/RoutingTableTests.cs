using Kedge.Server.Configuration;
using Kedge.Server.Routing;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Tests.Routing;

public class RoutingTableTests
{
    private static RoutingTable Table(params HttpRouteOptions[] routes) => new(new KedgeServerOptions { HttpRoutes = [.. routes] });

    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary.Append(name, value);
        }

        return dictionary;
    }

    [Fact]
    public void MatchHttp_RoutesInOrder_FirstMatchWins()
    {
        var table = Table(
            new HttpRouteOptions { Backend = "specific", Host = "a.example.com", PathRules = ["/api/*"] },
            new HttpRouteOptions { Backend = "catch_all" },
            new HttpRouteOptions { Backend = "never", Host = "a.example.com" });

        Assert.Equal("specific", table.MatchHttp(new RequestTarget("a.example.com", 80, "/api/x", false), Headers())!.Backend);
        Assert.Equal("catch_all", table.MatchHttp(new RequestTarget("a.example.com", 80, "/other", false), Headers())!.Backend);
        Assert.Equal("catch_all", table.MatchHttp(new RequestTarget("b.example.com", 80, "/", false), Headers())!.Backend);
    }

    [Theory]
    [InlineData("A.Example.COM")]
    [InlineData("a.example.com")]
    public void MatchHttp_Host_CaseInsensitive(string host)
    {
        var table = Table(new HttpRouteOptions { Backend = "a", Host = "a.example.com" });

        Assert.NotNull(table.MatchHttp(new RequestTarget(host, 80, "/", false), Headers()));
    }

    [Fact]
    public void MatchHttp_EmptyHost_NeverMatches()
    {
        var table = Table(new HttpRouteOptions { Backend = "any" });

        Assert.Null(table.MatchHttp(new RequestTarget("", 80, "/", false), Headers()));
    }

    [Theory]
    [InlineData(0, 80, true)]
    [InlineData(8080, 8080, true)]
    [InlineData(8080, 80, false)]
    [InlineData(443, 443, true)]
    public void MatchHttp_Port(int matcher, int requestPort, bool matches)
    {
        var table = Table(new HttpRouteOptions { Backend = "a", Host = "a.example.com", Port = matcher });

        Assert.Equal(matches, table.MatchHttp(new RequestTarget("a.example.com", requestPort, "/", false), Headers()) is not null);
    }

    [Theory]
    [InlineData("/exact", "/exact", true)]
    [InlineData("/exact", "/exact/more", false)]
    [InlineData("/prefix*", "/prefix/and/more", true)]
    [InlineData("/prefix*", "/prefi", false)]
    [InlineData("/Case", "/case", false)]
    public void MatchHttp_PathRules(string rule, string path, bool matches)
    {
        var table = Table(new HttpRouteOptions { Backend = "a", PathRules = [rule] });

        Assert.Equal(matches, table.MatchHttp(new RequestTarget("h", 80, path, false), Headers()) is not null);
    }

    [Theory]
    [InlineData("/v1/..;/admin", "/v1/..;/admin", "/admin")] // the rules pass it as written: a backend reads /admin
    [InlineData("/v1/%2e%2e/admin", "/admin", "/admin")] // as written
    [InlineData("/v1;a=b/x", "/v1;a=b/x", "/v1/x")] // as a lenient backend reads it
    [InlineData("/exact;a=b", "/exact;a=b", "/exact")]
    public void MatchHttp_AmbiguousPathThatCouldPassTheRules_RouteMatchesAndRefusesIt(string raw, string kestrelPath, string lenient)
    {
        var table = Table(new HttpRouteOptions { Backend = "ruled", PathRules = ["/v1/*", "/exact"] }, new HttpRouteOptions { Backend = "rest" });
        var target = Ambiguous(raw, kestrelPath, lenient);

        var route = table.MatchHttp(target, Headers());

        Assert.Equal("ruled", route!.Backend);
        Assert.Contains($"ambiguous path '{raw}'", route.PathRefusal(target), StringComparison.Ordinal);
    }

    [Fact]
    public void MatchHttp_AmbiguousPathNoReadingPasses_NextRouteMatchesWithoutRefusal()
    {
        var table = Table(new HttpRouteOptions { Backend = "ruled", PathRules = ["/v1/*"] }, new HttpRouteOptions { Backend = "rest" });
        var target = Ambiguous("/v2/..;/x", "/v2/..;/x", "/x");

        var route = table.MatchHttp(target, Headers());

        Assert.Equal("rest", route!.Backend);
        Assert.Null(route.PathRefusal(target));
    }

    [Fact]
    public void MatchHttp_AllowAmbiguousPaths_MatchedOnKestrelsPathOnly()
    {
        var table = Table(new HttpRouteOptions { Backend = "ruled", PathRules = ["/v1/*"], AllowAmbiguousPaths = true }, new HttpRouteOptions { Backend = "rest" });
        var passes = Ambiguous("/v1/..;/admin", "/v1/..;/admin", "/admin");
        var resolvedElsewhere = Ambiguous("/v1/%2e%2e/admin", "/admin", "/admin");

        Assert.Equal("ruled", table.MatchHttp(passes, Headers())!.Backend);
        Assert.Null(table.MatchHttp(passes, Headers())!.PathRefusal(passes));
        Assert.Equal("rest", table.MatchHttp(resolvedElsewhere, Headers())!.Backend);
    }

    private static RequestTarget Ambiguous(string raw, string kestrelPath, string lenient)
        => new("h", 80, kestrelPath, false) { PathAmbiguity = RequestPath.Ambiguity(raw), LenientPath = lenient, RawPath = raw };

    [Fact]
    public void MatchHttp_Headers_AllRequiredAnyValueEqual()
    {
        var table = Table(new HttpRouteOptions { Backend = "a", Headers = new(StringComparer.OrdinalIgnoreCase) { ["X-Tenant"] = "blue", ["X-Env"] = "prod" } });

        Assert.NotNull(table.MatchHttp(new RequestTarget("h", 80, "/", false), Headers(("x-tenant", "blue"), ("X-Env", "prod"))));
        Assert.NotNull(table.MatchHttp(new RequestTarget("h", 80, "/", false), Headers(("X-Tenant", "red"), ("X-Tenant", "blue"), ("X-Env", "prod"))));
        Assert.Null(table.MatchHttp(new RequestTarget("h", 80, "/", false), Headers(("X-Tenant", "blue"))));
        Assert.Null(table.MatchHttp(new RequestTarget("h", 80, "/", false), Headers(("X-Tenant", "Blue"), ("X-Env", "prod"))));
    }

    [Theory]
    [InlineData(ProxyMode.Any, false, true)]
    [InlineData(ProxyMode.Any, true, true)]
    [InlineData(ProxyMode.ReverseProxy, false, true)]
    [InlineData(ProxyMode.ReverseProxy, true, false)]
    [InlineData(ProxyMode.ForwardProxy, true, true)]
    [InlineData(ProxyMode.ForwardProxy, false, false)]
    public void MatchHttp_ProxyMode(ProxyMode mode, bool forward, bool matches)
    {
        var table = Table(new HttpRouteOptions { Backend = "a", ProxyMode = mode });

        Assert.Equal(matches, table.MatchHttp(new RequestTarget("h", 80, "/", forward), Headers()) is not null);
    }

    [Fact]
    public void MatchHttp_ThousandsOfHostRoutes_IndexKeepsOrderWithAnyHostRoutes()
    {
        var routes = Enumerable.Range(0, 5000).Select(i => new HttpRouteOptions { Backend = $"b{i}", Host = $"svc{i}.example.com" }).ToList();
        routes.Insert(2500, new HttpRouteOptions { Backend = "any_host_middle", PathRules = ["/special"] });
        var table = new RoutingTable(new KedgeServerOptions { HttpRoutes = routes });

        Assert.Equal("b4999", table.MatchHttp(new RequestTarget("svc4999.example.com", 80, "/", false), Headers())!.Backend);
        Assert.Equal("b10", table.MatchHttp(new RequestTarget("svc10.example.com", 80, "/special", false), Headers())!.Backend);
        Assert.Equal("any_host_middle", table.MatchHttp(new RequestTarget("svc4000.example.com", 80, "/special", false), Headers())!.Backend);
        Assert.Equal("any_host_middle", table.MatchHttp(new RequestTarget("unknown.example.com", 80, "/special", false), Headers())!.Backend);
        Assert.Null(table.MatchHttp(new RequestTarget("unknown.example.com", 80, "/", false), Headers()));
    }

    [Theory]
    [InlineData("*", "pkg.Svc/Method", true)]
    [InlineData("", "pkg.Svc/Method", true)]
    [InlineData("pkg.*", "pkg.Svc/Method", true)]
    [InlineData("other.*", "pkg.Svc/Method", false)]
    [InlineData("pkg.Svc", "pkg.Svc/Method", true)]
    [InlineData("pkg.Svc", "pkg.SvcOther/Method", false)]
    [InlineData("pkg.Svc", "pkg.Sv/Method", false)]
    public void MatchGrpc_ServiceName(string matcher, string fullMethod, bool matches)
    {
        var table = new RoutingTable(new KedgeServerOptions { GrpcRoutes = [new GrpcRouteOptions { Backend = "g", ServiceName = matcher }] });

        Assert.Equal(matches, table.MatchGrpc(fullMethod, "h", 443, Headers()) is not null);
    }

    [Fact]
    public void MatchGrpc_AuthorityAndMetadata()
    {
        var table = new RoutingTable(new KedgeServerOptions
        {
            GrpcRoutes = [new GrpcRouteOptions { Backend = "g", AuthorityHost = "controller.ext.cluster.local", AuthorityPort = 8444, Metadata = new(StringComparer.OrdinalIgnoreCase) { ["X-Route"] = "a" } }],
        });

        Assert.NotNull(table.MatchGrpc("p.S/M", "Controller.Ext.Cluster.Local", 8444, Headers(("x-route", "b"), ("x-route", "a"))));
        Assert.Null(table.MatchGrpc("p.S/M", "controller.ext.cluster.local", -1, Headers(("x-route", "a"))));
        Assert.Null(table.MatchGrpc("p.S/M", "controller.ext.cluster.local", 8444, Headers()));
    }

    [Theory]
    [InlineData("svc.ns:8080", "svc.ns", 8080)]
    [InlineData("svc.ns", "svc.ns", 80)]
    [InlineData("[::1]:9000", "::1", 9000)]
    [InlineData("[::1]", "::1", 80)]
    [InlineData("svc:bad", "svc", -1)]
    [InlineData("svc:65536", "svc", -1)]
    [InlineData("svc:", "svc", 80)]
    public void SplitAuthority_HandlesPortsAndIpv6(string authority, string host, int port)
    {
        Assert.Equal((host, port), RequestTarget.SplitAuthority(authority, 80));
    }

    [Theory]
    [InlineData("/api/../admin", "/admin")]
    [InlineData("/api/./x", "/api/x")]
    [InlineData("/a/b/..", "/a/")]
    [InlineData("/../../etc", "/etc")]
    [InlineData("/a/.b/c", "/a/.b/c")]
    public void RemoveDotSegments_AsTheOutgoingUriResolvesThem(string path, string expected)
    {
        Assert.Equal(expected, RequestPath.RemoveDotSegments(path));
    }
}
