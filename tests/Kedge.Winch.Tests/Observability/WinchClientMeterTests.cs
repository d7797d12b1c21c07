using System.Globalization;
using System.Text.RegularExpressions;
using Kedge.Testing;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Observability;

public sealed class WinchClientMeterTests
{
    private const string Mapper = """{"routes": [{"direct": {"key": "orders.cluster-b.internal:8080", "url": "{KEDGE}"}}]}""";

    [Fact]
    public async Task Metrics_TwoWinchHostsInOneProcess_EachExportsOnlyItsOwnKedgeClientCounts()
    {
        using var logs = new TestLogSink();
        await using var first = await WinchTestEnvironment.StartAsync(logs, Mapper);
        await using var second = await WinchTestEnvironment.StartAsync(logs, Mapper);
        using var firstProxied = first.CreateProxiedClient();
        using var secondProxied = second.CreateProxiedClient();
        using var firstMetrics = first.CreateDirectClient();
        using var secondMetrics = second.CreateDirectClient();

        for (var i = 0; i < 3; i++)
        {
            (await firstProxied.GetAsync("http://orders.cluster-b.internal:8080/first")).Dispose();
        }

        (await secondProxied.GetAsync("http://orders.cluster-b.internal:8080/second")).Dispose();

        // Counted once kedge has answered, which may be just after the caller has the response.
        await Eventually.ValueAsync(() => firstMetrics.GetStringAsync("/metrics"), m => RequestCount(m) >= 3, "the first winch's calls are counted");
        await Eventually.ValueAsync(() => secondMetrics.GetStringAsync("/metrics"), m => RequestCount(m) >= 1, "the second winch's call is counted");
        Assert.Equal(3, RequestCount(await firstMetrics.GetStringAsync("/metrics")));
        Assert.Equal(1, RequestCount(await secondMetrics.GetStringAsync("/metrics")));
    }

    private static long RequestCount(string metrics)
        => Regex.Matches(metrics, @"(?m)^kedge_client_requests_total\{[^}]*\} ([0-9]+)$")
            .Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
