using Kedge.Testing.Prometheus;

namespace Kedge.FunctionalTests.Observability;

/// <summary>The promtool helper against hand-written expositions: a clean one passes, a lint problem and a parse error do not.</summary>
public sealed class PromtoolTests
{
    [Fact]
    public async Task CheckMetrics_CleanExpositionWithHistogram_Passes()
    {
        const string exposition = """
            # HELP kedge_requests_total Requests handled.
            # TYPE kedge_requests_total counter
            kedge_requests_total{route="orders",code_class="2xx"} 3
            # HELP kedge_request_duration_seconds Request duration.
            # TYPE kedge_request_duration_seconds histogram
            kedge_request_duration_seconds_bucket{le="0.005"} 1
            kedge_request_duration_seconds_bucket{le="0.1"} 3
            kedge_request_duration_seconds_bucket{le="+Inf"} 3
            kedge_request_duration_seconds_sum 0.12
            kedge_request_duration_seconds_count 3

            """;

        var result = await Promtool.CheckMetricsAsync(exposition);

        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public async Task CheckMetrics_CounterWithoutTotalSuffixOrHelp_FailsNamingTheProblems()
    {
        const string exposition = """
            # TYPE kedge_request_duration_bucket counter
            kedge_request_duration_bucket{le="0.1"} 3

            """;

        var result = await Promtool.CheckMetricsAsync(exposition);

        Assert.False(result.Passed, result.ToString());
        Assert.Contains("should have \"_total\" suffix", result.Output, StringComparison.Ordinal);
        Assert.Contains("no help text", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckMetrics_NotTheTextFormat_FailsWithTheParseError()
    {
        var result = await Promtool.CheckMetricsAsync("kedge_requests_total{route=orders} 1\n");

        Assert.False(result.Passed, result.ToString());
        Assert.Contains("parsing error", result.Output, StringComparison.Ordinal);
    }
}
