using System.Diagnostics;
using Kedge.Server.Backends;

namespace Kedge.Server.Observability;

/// <summary>
/// kedge's <see cref="ActivitySource"/>: one Server span per request on the proxy ports (started by
/// <see cref="KedgeRequestTelemetry"/>), with each retry and ejection as an event. Without a listener (no OTLP endpoint)
/// no span is created and nothing of the caller's trace context is touched.
/// </summary>
internal static class KedgeTracing
{
    /// <summary>The source name to listen to (<c>AddSource</c>).</summary>
    public const string SourceName = "Kedge.Server";

    /// <summary>The span's name until the route is known.</summary>
    public const string ServerSpanName = "kedge.request";

    public static readonly ActivitySource Source = new(SourceName, typeof(KedgeTracing).Assembly.GetName().Version?.ToString());

    /// <summary>A connect failure was retried on another endpoint.</summary>
    public static void Retried(KedgeRequestFeature request, string backend, BackendEndpoint failed, BackendEndpoint next, string reason, Exception cause)
    {
        if (request.Span is { IsAllDataRequested: true } span)
        {
            span.AddEvent(new ActivityEvent("kedge.retry", tags: new ActivityTagsCollection
            {
                ["kedge.backend"] = backend,
                ["kedge.retry.reason"] = reason,
                ["kedge.endpoint.failed"] = failed.Authority,
                ["kedge.endpoint"] = next.Authority,
                ["exception.type"] = cause.GetType().FullName,
            }));
        }
    }

    /// <summary>An endpoint failed to connect and was taken out of rotation.</summary>
    public static void Ejected(KedgeRequestFeature request, string backend, BackendEndpoint endpoint, TimeSpan duration, Exception cause)
    {
        if (request.Span is { IsAllDataRequested: true } span)
        {
            span.AddEvent(new ActivityEvent("kedge.endpoint.ejected", tags: new ActivityTagsCollection
            {
                ["kedge.backend"] = backend,
                ["kedge.endpoint"] = endpoint.Authority,
                ["kedge.ejected_for_seconds"] = duration.TotalSeconds,
                ["exception.type"] = cause.GetType().FullName,
                ["exception.message"] = Forwarding.KedgeErrors.Printable(cause.Message),
            }));
        }
    }
}
