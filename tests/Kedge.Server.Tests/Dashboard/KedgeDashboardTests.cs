using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Kedge.Server.Dashboard;
using Kedge.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Server.Tests.Dashboard;

public sealed class KedgeDashboardTests
{
    [Fact]
    public void HttpMatchers_HostPortPathsHeaders_SummaryWithoutHeaderValues()
    {
        var route = new HttpRouteOptions
        {
            Backend = "b", Host = "api.kedge", Port = 8443, PathRules = ["/v1/*", "/health"],
            Headers = new(StringComparer.OrdinalIgnoreCase) { ["x-tenant"] = "secret-tenant-value" },
            ProxyMode = ProxyMode.ReverseProxy,
        };

        var summary = KedgeDashboard.HttpMatchers(route);

        Assert.Equal("host api.kedge; port 8443; path /v1/*, /health; headers x-tenant; reverse proxy only", summary);
        Assert.DoesNotContain("secret-tenant-value", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpMatchers_AnyHostAnyPath_SaysSo()
        => Assert.Equal("host *; any path", KedgeDashboard.HttpMatchers(new HttpRouteOptions { Backend = "b" }));

    [Fact]
    public void GrpcMatchers_ServiceAuthorityMetadata_SummaryWithoutMetadataValues()
    {
        var route = new GrpcRouteOptions
        {
            Backend = "b", ServiceName = "pkg.Greeter", AuthorityHost = "greeter.kedge", AuthorityPort = 9000,
            Metadata = new(StringComparer.OrdinalIgnoreCase) { ["x-route"] = "hidden" },
        };

        Assert.Equal("service pkg.Greeter; authority greeter.kedge:9000; metadata x-route", KedgeDashboard.GrpcMatchers(route));
    }

    [Theory]
    [InlineData("static", "10.0.0.1:80, 10.0.0.2:80")]
    [InlineData("dns", "web.internal:8080")]
    [InlineData("srv", "_http._tcp.web.internal")]
    [InlineData("k8s", "web.shop:http")]
    public void Resolver_EachKind_KindAndTarget(string kind, string target)
    {
        var options = kind switch
        {
            "static" => new BackendOptions { Static = new() { Addresses = ["10.0.0.1:80", "10.0.0.2:80"] } },
            "dns" => new BackendOptions { Host = new() { DnsName = "web.internal", Port = 8080 } },
            "srv" => new BackendOptions { Srv = new() { DnsName = "_http._tcp.web.internal" } },
            _ => new BackendOptions { K8s = new() { DnsPortName = "web.shop:http" } },
        };

        Assert.Equal((kind, target), KedgeDashboard.Resolver(options));
    }

    [Fact]
    public void Certificate_ExpiresWithinTwoWeeks_ProblemWithDaysLeftAndNames()
    {
        using var ca = TestCertificateAuthority.Create();
        using var certificate = ca.IssueServerCertificate("kedge.test", "other.test");
        var now = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero).AddDays(-3.5);

        var view = KedgeDashboard.Certificate("server", certificate, now);

        Assert.Equal(3, view.DaysLeft);
        Assert.Contains("kedge.test", view.Names);
        Assert.Contains("other.test", view.Names);
        Assert.Contains("renew", view.Problem, StringComparison.Ordinal);
        Assert.Null(KedgeDashboard.Certificate("server", certificate, now.AddDays(-12)).Problem);
        Assert.Contains("not valid yet", KedgeDashboard.Certificate("server", certificate, now.AddDays(-40)).Problem, StringComparison.Ordinal);
        Assert.Contains("expired", KedgeDashboard.Certificate("server", certificate, now.AddDays(4)).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailureOf_EjectedThenExpired_EjectedWithCauseThenOnlyTheRecord()
    {
        var time = new FakeTimeProvider();
        await using var backend = new Backend("web", isGrpc: false, new BackendOptions { Name = "web" }, new StaticResolver(["10.0.0.1:80", "10.0.0.2:80"]), TimeSpan.FromSeconds(2), time, NullLogger.Instance);
        await backend.StartAsync(CancellationToken.None);
        var endpoint = backend.Endpoints[0];

        backend.Eject(endpoint, new HttpRequestException("Connection refused (10.0.0.1:80)"));
        var (failure, ejected) = backend.FailureOf(endpoint, time.GetTimestamp());
        time.Advance(TimeSpan.FromSeconds(3));
        var (later, ejectedLater) = backend.FailureOf(endpoint, time.GetTimestamp());

        Assert.True(ejected);
        Assert.True(failure!.Ejected);
        Assert.Contains("Connection refused (10.0.0.1:80)", failure.Error, StringComparison.Ordinal);
        Assert.False(ejectedLater);
        Assert.Same(failure, later);
        Assert.Equal((null, false), backend.FailureOf(backend.Endpoints[1], time.GetTimestamp()));
    }

    [Fact]
    public async Task Backend_NoEndpoints_ShownAsAProblem()
    {
        var time = new FakeTimeProvider();
        await using var backend = new Backend("web", isGrpc: false, new BackendOptions { Name = "web", Host = new() { DnsName = "web.internal", Port = 80 } }, new StaticResolver([]), TimeSpan.FromSeconds(2), time, NullLogger.Instance);
        await backend.StartAsync(CancellationToken.None);

        var view = KedgeDashboard.Backend(backend, time, time.GetTimestamp(), time.GetUtcNow());

        Assert.Empty(view.Endpoints);
        Assert.StartsWith("no endpoints", view.Problem, StringComparison.Ordinal);
        Assert.Equal(("dns", "web.internal:80"), (view.Resolver, view.Target));
    }

    [Fact]
    public async Task Backend_EjectedFailingHealthy_StatesWithWhyAndUntil()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
        await using var backend = new Backend("web", isGrpc: false, new BackendOptions { Name = "web" }, new StaticResolver(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"]), TimeSpan.FromSeconds(10), time, NullLogger.Instance);
        await backend.StartAsync(CancellationToken.None);
        backend.Eject(backend.Endpoints[0], new HttpRequestException("Connection refused (10.0.0.1:80)"));
        backend.RecordFailure(backend.Endpoints[1], new HttpRequestException("The response ended prematurely."));

        var view = KedgeDashboard.Backend(backend, time, time.GetTimestamp(), time.GetUtcNow());
        time.Advance(KedgeDashboard.FailingWindow);
        var later = KedgeDashboard.Backend(backend, time, time.GetTimestamp(), time.GetUtcNow());

        Assert.Equal(["ejected", "failing", "healthy"], view.Endpoints.Select(e => e.State));
        Assert.Equal(time.Start.AddSeconds(10), view.Endpoints[0].Until);
        Assert.Contains("Connection refused", view.Endpoints[0].Error, StringComparison.Ordinal);
        Assert.Contains("ended prematurely", view.Endpoints[1].Error, StringComparison.Ordinal);
        Assert.Null(view.Problem);
        Assert.Equal(["healthy", "healthy", "healthy"], later.Endpoints.Select(e => e.State));
    }

    [Fact]
    public async Task RecordFailure_NoEjection_KeptWithTheExceptionChain()
    {
        var time = new FakeTimeProvider();
        await using var backend = new Backend("web", isGrpc: false, new BackendOptions { Name = "web" }, new StaticResolver(["10.0.0.1:80"]), TimeSpan.Zero, time, NullLogger.Instance);
        await backend.StartAsync(CancellationToken.None);

        backend.RecordFailure(backend.Endpoints[0], new HttpRequestException("response ended", new IOException("reset by peer")));
        backend.Eject(backend.Endpoints[0], new HttpRequestException("refused"));

        var (failure, ejected) = backend.FailureOf(backend.Endpoints[0], time.GetTimestamp());
        Assert.False(ejected);
        Assert.False(failure!.Ejected);
        Assert.Equal("HttpRequestException: refused", failure.Error);
        Assert.Equal("HttpRequestException: response ended <- IOException: reset by peer", EndpointFailure.Describe(new HttpRequestException("response ended", new IOException("reset by peer"))));
    }
}
