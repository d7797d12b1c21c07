using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kedge.Winch.Observability;

/// <summary>
/// winch's instruments (meter <c>Kedge.Winch</c>), exported as Prometheus text at <c>--server_metrics_path</c>. Go
/// winch had no HTTP proxy metrics at all (a TODO).
/// </summary>
internal sealed class WinchMetrics
{
    public const string MeterName = "Kedge.Winch";

    private readonly Counter<long> _httpRequests;
    private readonly Histogram<double> _httpDuration;
    private readonly Counter<long> _grpcCalls;

    public WinchMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _httpRequests = meter.CreateCounter<long>("winch_http_requests", description: "HTTP proxy requests by where they went (kedge, direct, local, refused) and status code.");
        _httpDuration = meter.CreateHistogram(
            "winch_http_request_duration",
            unit: "s",
            description: "Duration of proxied HTTP requests, until the response has been copied to the caller.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _grpcCalls = meter.CreateCounter<long>("winch_grpc_calls", description: "gRPC proxy calls by outcome (kedge, not-kedge-destination, error).");
    }

    public void HttpRequest(string via, int statusCode, TimeSpan elapsed)
    {
        var tags = new TagList { { "via", via }, { "code", statusCode } };
        _httpRequests.Add(1, tags);
        if (via is "kedge" or "direct")
        {
            _httpDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("via", via));
        }
    }

    public void GrpcCall(string outcome) => _grpcCalls.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
