using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Go;
using Kedge.Server.Routing;

namespace Kedge.Server.Tests.Configuration;

public sealed class TunnelRouteValidationTests
{
    private static KedgeServerOptions Options(params TunnelRouteOptions[] routes) => new()
    {
        TunnelRoutes = [.. routes],
        HttpBackends =
        [
            new() { Name = "db", Static = new() { Addresses = ["10.0.0.1:5432"] } },
            new() { Name = "tls", Static = new() { Addresses = ["10.0.0.2:443"] }, Tls = new() { InsecureSkipVerify = true } },
        ],
    };

    private static List<string> Validate(params TunnelRouteOptions[] routes)
    {
        var errors = new List<string>();
        KedgeServerOptionsValidator.Validate(Options(routes), "Kedge", errors);
        return errors;
    }

    private static TunnelRouteOptions Route(string? host = "db.shop.cluster-b.kedge", int[]? ports = null, string? backend = "db", string? name = null)
        => new() { Name = name, Host = host, Ports = [.. ports ?? [5432]], Backend = backend };

    [Fact]
    public void Validate_ExactAndSuffixRoutes_Valid()
        => Assert.Empty(Validate(Route(), Route("*.cache.cluster-b.kedge", [6379, 6380])));

    [Theory]
    [InlineData(null, "Kedge:TunnelRoutes:0:Host: is required")]
    [InlineData("*", "Kedge:TunnelRoutes:0:Host: '*' would tunnel to every name and make kedge an open proxy")]
    [InlineData("*.", "Kedge:TunnelRoutes:0:Host: '*.' would tunnel to every name")]
    [InlineData("10.0.0.1", "Kedge:TunnelRoutes:0:Host: '10.0.0.1' is an IP address")]
    [InlineData("[::1]", "Kedge:TunnelRoutes:0:Host: '[::1]' is an IP address")]
    [InlineData("db.*.kedge", "Kedge:TunnelRoutes:0:Host: 'db.*.kedge' may only start with '*.'")]
    [InlineData("*db.kedge", "Kedge:TunnelRoutes:0:Host: '*db.kedge' may only start with '*.'")]
    [InlineData("*.kedge", "Kedge:TunnelRoutes:0:Host: '*.kedge' claims a whole top-level domain")]
    [InlineData("db.kedge:5432", "Kedge:TunnelRoutes:0:Host: 'db.kedge:5432' is not a host name")]
    public void Validate_BadHost_ErrorNamesKeyAndFix(string? host, string expected)
        => Assert.StartsWith(expected, Assert.Single(Validate(Route(host))), StringComparison.Ordinal);

    [Fact]
    public void Validate_EmptyPorts_Error()
        => Assert.StartsWith("Kedge:TunnelRoutes:0:Ports: is empty, so the route would allow no tunnel", Assert.Single(Validate(Route(ports: []))), StringComparison.Ordinal);

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(-1)]
    public void Validate_PortOutOfRange_Error(int port)
        => Assert.StartsWith($"Kedge:TunnelRoutes:0:Ports: {port} is not a port", Assert.Single(Validate(Route(ports: [port]))), StringComparison.Ordinal);

    [Fact]
    public void Validate_DuplicatePort_Error()
        => Assert.StartsWith("Kedge:TunnelRoutes:0:Ports: 5432 is listed more than once", Assert.Single(Validate(Route(ports: [5432, 5432]))), StringComparison.Ordinal);

    [Fact]
    public void Validate_UnknownBackend_Error()
        => Assert.StartsWith("Kedge:TunnelRoutes:0:Backend: names the backend 'nope', which HttpBackends does not define", Assert.Single(Validate(Route(backend: "nope"))), StringComparison.Ordinal);

    [Fact]
    public void Validate_MissingBackend_Error()
        => Assert.StartsWith("Kedge:TunnelRoutes:0:Backend: is required", Assert.Single(Validate(Route(backend: null))), StringComparison.Ordinal);

    [Fact]
    public void Validate_BackendWithTls_Error()
        => Assert.StartsWith("Kedge:TunnelRoutes:0:Backend: names the backend 'tls', which sets Tls", Assert.Single(Validate(Route(backend: "tls"))), StringComparison.Ordinal);

    [Fact]
    public void Validate_SameHostTwice_SecondIsError()
        => Assert.StartsWith("Kedge:TunnelRoutes:1:Host: 'DB.shop.cluster-b.kedge' is already claimed by TunnelRoutes:0", Assert.Single(Validate(Route(), Route("DB.shop.cluster-b.kedge", [5433]))), StringComparison.Ordinal);

    [Fact]
    public void Validate_SameNameTwice_Error()
        => Assert.StartsWith("Kedge:TunnelRoutes:1:Name: 'db' is already the name of TunnelRoutes:0", Assert.Single(Validate(Route(name: "db"), Route("other.shop.cluster-b.kedge", name: "db"))), StringComparison.Ordinal);

    [Fact]
    public void Validate_SeveralProblems_EveryErrorListed()
    {
        var errors = Validate(Route("*", [], "nope"));

        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Validate_AuthorizationWithNothing_Error()
    {
        var route = Route();
        route.Authorization = new RouteAuthorizationOptions();

        Assert.StartsWith("Kedge:TunnelRoutes:0:Authorization: names neither Permissions nor ClientCertificate", Assert.Single(Validate(route)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("db.shop.cluster-b.kedge", "db")]
    [InlineData("DB.Shop.Cluster-B.kedge", "db")]
    [InlineData("a.cache.cluster-b.kedge", "cache")]
    [InlineData("cache.cluster-b.kedge", null)]
    [InlineData("x.db.shop.cluster-b.kedge", null)]
    [InlineData("", null)]
    public void MatchTunnel_ExactOrSuffix_FirstMatchDecides(string host, string? expected)
    {
        var table = new RoutingTable(Options(Route(name: "db"), Route("*.cache.cluster-b.kedge", name: "cache"), Route("b.cache.cluster-b.kedge", name: "later")));

        Assert.Equal(expected, table.MatchTunnel(host)?.MetricName);
    }

    [Fact]
    public void TunnelRoute_Ports_OnlyListedAllowed()
    {
        var route = new TunnelRoute(0, Route(ports: [5432, 6432]), policy: null);

        Assert.True(route.AllowsPort(6432));
        Assert.False(route.AllowsPort(5433));
        Assert.Equal("db.shop.cluster-b.kedge", route.MetricName);
    }

    [Fact]
    public void ToNativeJson_TunnelRoutes_Written()
    {
        var json = NativeConfigWriter.ToNativeJson(Options(Route(name: "db")));

        Assert.Contains("\"TunnelRoutes\": [", json, StringComparison.Ordinal);
        Assert.Contains("\"Host\": \"db.shop.cluster-b.kedge\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Ports\": [", json, StringComparison.Ordinal);
    }
}
