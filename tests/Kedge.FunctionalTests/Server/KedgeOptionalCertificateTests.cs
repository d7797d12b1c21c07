using System.Net;
using Kedge.Server.Configuration;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>Client certificates optional at the TLS layer and no token auth: routes that say nothing still need one.</summary>
public sealed class KedgeOptionalCertificateTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        var routing = new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "orders", Host = "orders.shop.svc.cluster-b.kedge" }],
            HttpBackends = [new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
        };
        _kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings => settings.TlsClientCertRequired = false);
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _backend.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Http_RouteWithoutRuleAndNoCertificate_401NotOpen()
    {
        using var anonymous = KedgeTestHttp.Create(_kedge, clientCertificate: null);
        using var withCertificate = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);

        using var refused = await anonymous.SendAsync(KedgeTestHttp.Request("orders.shop.svc.cluster-b.kedge"));
        using var allowed = await withCertificate.SendAsync(KedgeTestHttp.Request("orders.shop.svc.cluster-b.kedge"));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("client certificate is required", refused.Headers.GetValues("X-Kedge-Error").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(1, _backend.RequestCount);
    }
}
