using System.Net;
using System.Text.Json.Nodes;
using Kedge.FunctionalTests.Deploy;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Prometheus;
using Xunit.Sdk;

namespace Kedge.FunctionalTests.Observability;

/// <summary>A real Prometheus scrapes an in-process kedge while a real mTLS client (Kedge.Client) sends it traffic.</summary>
public sealed class KedgePrometheusTests : IAsyncLifetime
{
    private const string P99 = "histogram_quantile(0.99, sum by (le) (rate(kedge_request_duration_seconds_bucket[30s])))";

    // The dashboard's per-route form: the route label survives into the quantile.
    private const string P99ByRoute = "histogram_quantile(0.99, sum by (le, route) (rate(kedge_request_duration_seconds_bucket[30s])))";

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
    public async Task Scrape_KedgeUnderTraffic_P99OfTheDurationHistogramIsANumberAndRequestsCarryTheRoute()
    {
        await using var prometheus = await PrometheusServer.StartAsync([_kedge.AdminUrl.Authority]);
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var stop = new CancellationTokenSource();
        var traffic = SendUntilCancelledAsync(http, stop.Token);
        try
        {
            var p99 = await QueryUntilAsync(prometheus, P99, s => s.Count == 1 && double.IsFinite(s[0].Value), "p99 over kedge's duration histogram is a number");
            var byRoute = await QueryUntilAsync(prometheus, P99ByRoute, s => s.Any(r => r.Label("route") == "orders" && double.IsFinite(r.Value)), "p99 of the orders route is a number");
            var requests = await QueryUntilAsync(prometheus, "kedge_requests_total", s => s.Any(r => r.Label("route") == "orders" && r.Value > 0), "kedge_requests_total has the orders route");

            Assert.InRange(p99[0].Value, 0, 10);
            Assert.InRange(Assert.Single(byRoute, r => r.Label("route") == "orders").Value, 0, 10);
            var orders = Assert.Single(requests, r => r.Label("route") == "orders");
            Assert.Equal(("orders", "http", "2xx"), (orders.Label("backend_name"), orders.Label("protocol"), orders.Label("code_class")));
        }
        finally
        {
            await stop.CancelAsync();
            await traffic;
        }
    }

    /// <summary>
    /// deploy/grafana/kedge-dashboard.json's panel queries: Prometheus accepts every one, and the panels a healthy kedge
    /// under traffic must fill (traffic, latency, endpoints, reload age, certificate expiry, process) have data, labelled
    /// with the route and backend that served it.
    /// </summary>
    [Fact]
    public async Task DashboardPanels_KedgeUnderTraffic_EveryQueryAcceptedAndTheLivePanelsHaveData()
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
        var traffic = SendUntilCancelledAsync(http, stop.Token);
        try
        {
            foreach (var (panel, expression) in targets)
            {
                // A series without requests in the window is NaN in a quantile (0/0, as PromQL defines it): one finite
                // sample shows the panel works.
                var samples = await QueryUntilAsync(prometheus, expression, s => !filled.Contains(panel) || s.Any(x => double.IsFinite(x.Value)), $"panel '{panel}' has data");
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

    private static async Task SendUntilCancelledAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync($"http://orders.shop.svc.cluster-b.kedge/orders/{sent++}", cancellationToken);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);

                // Pacing, not waiting for a condition: a steady trickle across many scrapes, not a burst that starves them.
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Queries until the result is accepted; the failure names the last result and the scrape targets' health.</summary>
    private static async Task<IReadOnlyList<PrometheusSample>> QueryUntilAsync(
        PrometheusServer prometheus, string promql, Func<IReadOnlyList<PrometheusSample>, bool> accept, string because)
    {
        IReadOnlyList<PrometheusSample> last = [];
        try
        {
            return await Eventually.ValueAsync(async () => last = await prometheus.QueryAsync(promql), accept, because, TimeSpan.FromSeconds(60));
        }
        catch (XunitException ex)
        {
            var targets = string.Join("\n", await prometheus.TargetsAsync());
            throw new XunitException($"{ex.Message}\n{promql} gave [{string.Join(", ", last)}]\ntargets:\n{targets}\nPrometheus log:\n{prometheus.Output}", ex);
        }
    }
}
