using Prometheus;

namespace Kedge.Winch.Observability;

/// <summary>
/// winch's metrics, in the host's own prometheus-net registry, served at <c>--server_metrics_path</c>. Go winch had no
/// HTTP proxy metrics at all (a TODO).
/// </summary>
internal sealed class WinchMetrics
{
    /// <summary>Kedge.Client's meter (requests per kedge, mapping failures, certificate and token reloads), exported by winch.</summary>
    public const string ClientMeterName = "Kedge.Client";

    private readonly Counter _httpRequests;
    private readonly Histogram.Child _kedgeDuration;
    private readonly Histogram.Child _directDuration;
    private readonly Counter _grpcCalls;

    public WinchMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars(); // as kedge's: they cost on every observation
        _httpRequests = factory.CreateCounter("winch_http_requests_total", "HTTP proxy requests by where they went (kedge, direct, local, refused) and status code.", "via", "code");
        var duration = factory.CreateHistogram(
            "winch_http_request_duration_seconds",
            "Duration of proxied HTTP requests, until the response has been copied to the caller.",
            ["via"],
            new HistogramConfiguration { Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _kedgeDuration = duration.WithLabels("kedge");
        _directDuration = duration.WithLabels("direct");
        _grpcCalls = factory.CreateCounter("winch_grpc_calls_total", "gRPC proxy calls by outcome (kedge, not-kedge-destination, cancelled, error).", "outcome");
    }

    public void HttpRequest(string via, int statusCode, TimeSpan elapsed)
    {
        _httpRequests.WithLabels(via, statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        switch (via)
        {
            case "kedge":
                _kedgeDuration.Observe(elapsed.TotalSeconds);
                break;
            case "direct":
                _directDuration.Observe(elapsed.TotalSeconds);
                break;
        }
    }

    public void GrpcCall(string outcome) => _grpcCalls.WithLabels(outcome).Inc();
}
