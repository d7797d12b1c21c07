using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Kedge.Testing;
using Kedge.Winch.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kedge.Winch.Tests.Observability;

public sealed class WinchMetricsTests
{
    private const string Mapper = """{"routes": [{"direct": {"key": "orders.cluster-b.internal:8080", "url": "{KEDGE}"}}]}""";

    [Fact]
    public async Task Metrics_ProxiedRequest_CounterHistogramAndProcessMetricsExported()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper);
        using var proxied = env.CreateProxiedClient();
        using var client = env.CreateDirectClient();

        using var response = await proxied.GetAsync("http://orders.cluster-b.internal:8080/counted");
        var code = (int)response.StatusCode;
        Regex[] counted =
        [
            new($"(?m)^winch_http_requests_total\\{{via=\"kedge\",code=\"{code}\"\\}} 1$"),
            new("(?m)^winch_http_request_duration_seconds_bucket\\{via=\"kedge\",le=\"\\+Inf\"\\} 1$"),
            new("(?m)^winch_http_request_duration_seconds_count\\{via=\"kedge\"\\} 1$"),
        ];

        // Counted once the response has been copied to the caller, which may be just after the caller has it; the
        // via="kedge" histogram is exported at 0 from startup, so only the values say the request was counted.
        var metrics = await Eventually.ValueAsync(() => client.GetStringAsync("/metrics"), m => counted.All(r => r.IsMatch(m)), "the request is counted once, in the counter and the histogram");

        Assert.All(counted, r => Assert.Matches(r, metrics));
        Assert.Matches("(?m)^process_cpu_seconds_total [0-9]", metrics);
        Assert.Matches("(?m)^dotnet_gc_collections_total\\{", metrics);
    }

    [Fact]
    public async Task Metrics_KedgeClientMeter_ExportedUnderPrometheusNames()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper);
        using var client = env.CreateDirectClient();
        // The meter Kedge.Client records into, from winch's own meter factory as winch's clients get it.
        var meter = env.Winch.App.Services.GetRequiredService<IMeterFactory>().Create("Kedge.Client");
        var requests = meter.CreateCounter<long>("kedge.client.requests");
        var url = $"https://kedge-{Guid.NewGuid():N}.test";

        requests.Add(1, new KeyValuePair<string, object?>("kedge.url", url), new KeyValuePair<string, object?>("outcome", "success"));
        requests.Add(1, new KeyValuePair<string, object?>("outcome", "success"), new KeyValuePair<string, object?>("kedge.url", url));
        var metrics = await client.GetStringAsync("/metrics");

        Assert.Matches($"(?m)^kedge_client_requests_total\\{{kedge_url=\"{Regex.Escape(url)}\",outcome=\"success\"\\}} 2$", metrics);
        Assert.Contains("# TYPE kedge_client_requests_total counter", metrics, StringComparison.Ordinal);
    }
}
