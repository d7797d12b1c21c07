using System.Text.Json.Nodes;
using Kedge.FunctionalTests.Observability;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Prometheus;

namespace Kedge.FunctionalTests.Deploy;

/// <summary>
/// The dashboard's panel queries on a real Prometheus scraping a real kedge under traffic: Prometheus accepts every one,
/// and the panels a healthy kedge under traffic must fill (traffic, latency, endpoints, reload age, certificate expiry,
/// process) have data, labelled with the route and backend that served it.
/// </summary>
public sealed class DashboardPrometheusTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions
        {
            HttpRoutes = [new() { Name = "orders", Backend = "orders", Host = "orders.shop.svc.cluster-b.kedge" }],
            HttpBackends = [new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
        });
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _backend.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task PanelQueries_RealPrometheusScrapingKedgeUnderTraffic_AcceptedAndFilled()
    {
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(KubernetesManifestTests.RepositoryRoot(), "deploy", "grafana", "kedge-dashboard.json")))!;
        var targets = dashboard["panels"]!.AsArray()
            .Where(p => (string?)p!["type"] != "row")
            .SelectMany(p => p!["targets"]!.AsArray().Select(t => (Panel: (string)p["title"]!, Expression: GrafanaDashboardTests.AsPrometheusWouldRunIt((string)t!["expr"]!, "30s"))))
            .ToList();
        string[] filled = ["Request rate", "Latency p50", "Latency p99", "Endpoints healthy / ejected", "Last successful reload age", "Certificate expiry (days left)", "Memory", "CPU"];

        await using var prometheus = await PrometheusServer.StartAsync([_kedge.AdminUrl.Authority]);
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var stop = new CancellationTokenSource();
        var traffic = KedgePrometheusTests.SendUntilCancelledAsync(http, stop.Token);
        try
        {
            foreach (var (panel, expression) in targets)
            {
                // A series without requests in the window is NaN in a quantile (0/0, as PromQL defines it): one finite
                // sample shows the panel works.
                var samples = await KedgePrometheusTests.QueryUntilAsync(prometheus, expression, s => !filled.Contains(panel) || s.Any(x => double.IsFinite(x.Value)), $"panel '{panel}' has data");
                if (panel is "Request rate" or "Latency p99")
                {
                    Assert.Contains(samples, s => (s.Label("route"), s.Label("backend_name")) == ("orders", "orders"));
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await traffic;
        }
    }
}
