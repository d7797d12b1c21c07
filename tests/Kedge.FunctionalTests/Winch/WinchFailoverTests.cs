using System.Net;
using Kedge.FunctionalTests.Client;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Winch.Commands;
using Kedge.Winch.Hosting;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Winch;

/// <summary>winch with a direct route naming kedge A and, as <c>fallback_urls</c>, kedge B: two real kedges on loopback.</summary>
public sealed class WinchFailoverTests : IAsyncLifetime
{
    private const string Service = "orders.failover.internal";
    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private TestCertificateAuthority _ca = null!;
    private LoopbackServer _backendA = null!;
    private LoopbackServer _backendB = null!;
    private FailoverKedge _kedgeA = null!;
    private FailoverKedge _kedgeB = null!;
    private WinchServer _winch = null!;

    public async Task InitializeAsync()
    {
        _ca = TestCertificateAuthority.Create();
        _backendA = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _backendB = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _kedgeA = await FailoverKedge.StartAsync(_logs, _ca, _dir, "a", Routing(_backendA));
        _kedgeB = await FailoverKedge.StartAsync(_logs, _ca, _dir, "b", Routing(_backendB));
        var (cert, key) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("caller"), _dir.Combine("client"));
        var errors = new List<string>();
        var settings = WinchCommand.ReadSettings(
            [
                "--server_http_port=0",
                "--server_grpc_port=0",
                "--server_http_monitoring_address=127.0.0.1:0",
                "--server_mapper_config=" + $$$"""{"routes": [{"direct": {"key": "{{{Service}}}", "url": "{{{_kedgeA.Url}}}", "fallback_urls": ["{{{_kedgeB.Url}}}"]}}]}""",
                "--client_tls_cert_file=" + cert,
                "--client_tls_key_file=" + key,
                "--client_tls_root_ca_files=" + _ca.WriteCaPem(_dir.Path),
            ],
            errors);
        Assert.Empty(errors);
        _winch = WinchServer.Build(settings!, errors, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(_logs);
        })!;
        Assert.Empty(errors);
        await _winch.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _winch.DisposeAsync();
        await _kedgeA.DisposeAsync();
        await _kedgeB.DisposeAsync();
        await _backendA.DisposeAsync();
        await _backendB.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Http_KedgeAKilled_WinchSendsToBThenBackToAAfterRestart()
    {
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{_winch.HttpPort}"), UseProxy = true });
        using var monitoring = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{Service}/before")).StatusCode);
        await _kedgeA.KillAsync();
        var afterKill = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            afterKill.Add((await client.GetAsync($"http://{Service}/after-kill")).StatusCode);
        }

        var servedByB = _backendB.RequestCount;
        await _kedgeA.RestartAsync();
        await Eventually.TrueAsync(async () => (await client.GetAsync($"http://{Service}/after-restart")).IsSuccessStatusCode && _backendA.RequestCount > 1, "traffic is back on kedge A", TimeSpan.FromSeconds(5));
        var metrics = await monitoring.GetStringAsync($"http://127.0.0.1:{_winch.MonitoringPort}/metrics");

        Assert.All(afterKill, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(5, servedByB);
        Assert.Contains(metrics.Split('\n'), line => line.StartsWith("kedge_client_failover_failovers", StringComparison.Ordinal) && line.Contains($"kedge=\"127.0.0.1:{_kedgeA.Port}\"", StringComparison.Ordinal));
    }

    private static KedgeServerOptions Routing(LoopbackServer backend) => new()
    {
        HttpRoutes = [new() { Backend = "orders", Host = Service }],
        HttpBackends = [new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{backend.Port}"] } }],
    };
}
