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
        Assert.Equal(expected, RequestTarget.RemoveDotSegments(path));
    }
}
