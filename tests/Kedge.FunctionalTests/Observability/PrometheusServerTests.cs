using Kedge.Testing;
using Kedge.Testing.Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Xunit.Sdk;

namespace Kedge.FunctionalTests.Observability;

/// <summary>The real-Prometheus harness on its own: it scrapes a loopback target, answers PromQL, reports bad queries.</summary>
public sealed class PrometheusServerTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _target = null!;
    private int _scrapes;

    public async Task InitializeAsync()
        => _target = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, app => app.MapGet("/custom/metrics", (HttpContext context) =>
        {
            // A counter that grows with every scrape, so rate() has something to measure.
            var scrapes = Interlocked.Increment(ref _scrapes);
            return Results.Text($"# HELP harness_scrapes_total Scrapes seen.\n# TYPE harness_scrapes_total counter\nharness_scrapes_total{{source=\"test\"}} {scrapes}\n", "text/plain; version=0.0.4");
        }));

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Query_ScrapedCounter_ValueAndRateWithTheTargetLabels()
    {
        await using var prometheus = await PrometheusServer.StartAsync([$"127.0.0.1:{_target.Port}"], "/custom/metrics");

        var samples = await Eventually.ValueAsync(
            () => prometheus.QueryAsync("rate(harness_scrapes_total[10s])"),
            s => s.Count == 1 && s[0].Value > 0,
            "Prometheus scrapes the target at least twice",
            TimeSpan.FromSeconds(60));

        var rate = samples[0];
        Assert.Equal("test", rate.Label("source"));
        Assert.Equal("kedge-test", rate.Label("job"));
        Assert.Equal($"127.0.0.1:{_target.Port}", rate.Label("instance"));
        var target = Assert.Single(await prometheus.TargetsAsync());
        Assert.Equal("up", target.Health);
    }

    [Fact]
    public void Require_MissingBinary_FailsTheTestNamingThePackageAndCi()
    {
        // Fails rather than skips: a machine without the package would otherwise report the real-part tests green.
        var failure = Assert.Throws<XunitException>(() => RealBinary.Require("/usr/bin/prometheus-not-installed"));

        Assert.Contains("Debian package 'prometheus'", failure.Message, StringComparison.Ordinal);
        Assert.Contains(".ci/run installs it", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_BadPromQl_ThrowsWithPrometheusMessage()
    {
        await using var prometheus = await PrometheusServer.StartAsync([$"127.0.0.1:{_target.Port}"], "/custom/metrics");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => prometheus.QueryAsync("sum(harness_scrapes_total"));

        Assert.Contains("bad_data", error.Message, StringComparison.Ordinal);
    }
}
