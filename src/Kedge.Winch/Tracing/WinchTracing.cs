using System.Diagnostics;
using Microsoft.Extensions.Primitives;

namespace Kedge.Winch.Tracing;

/// <summary>
/// winch's server span per proxied request and gRPC call (source <see cref="SourceName"/>). It continues the caller's
/// W3C context and becomes the parent of the call to kedge (Kedge.Client's span, or kedge's own when that source is
/// not sampled).
/// </summary>
internal static class WinchTracing
{
    public const string SourceName = "Kedge.Winch";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// The method for span names and <c>http.request.method</c>, as kedge and OpenTelemetry's HTTP conventions have it:
    /// the known methods as they are, anything else <c>_OTHER</c> (a caller could invent any number).
    /// </summary>
    public static string MethodTag(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "DELETE" or "HEAD" or "OPTIONS" or "PATCH" or "TRACE" or "CONNECT" => method,
        _ => "_OTHER",
    };

    /// <summary>
    /// Starts the server span, parented to the caller's <c>traceparent</c> as the current propagator reads it (not to
    /// ASP.NET Core's request activity, which nothing records unless its source is sampled); null when nothing samples it.
    /// </summary>
    public static Activity? StartServerSpan(HttpContext context, string name)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var propagator = DistributedContextPropagator.Current;
        var headers = context.Request.Headers;
        propagator.ExtractTraceIdAndState(headers, GetHeader, out var traceParent, out var traceState);
        _ = ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);

        var previous = Activity.Current;
        if (parent == default)
        {
            // No caller context: a new trace, not a child of the unrecorded request activity.
            Activity.Current = null;
        }

        var span = Source.StartActivity(name, ActivityKind.Server, parent);
        if (span is null)
        {
            Activity.Current = previous;
            return null;
        }

        foreach (var (key, value) in propagator.ExtractBaggage(headers, GetHeader) ?? [])
        {
            span.AddBaggage(key, value);
        }

        return span;
    }

    /// <summary>
    /// Removes the caller's trace headers from the request to kedge when winch has a span of its own, so that the
    /// outgoing context names winch's span (or Kedge.Client's below it) instead of the caller's.
    /// </summary>
    public static void DropCallerContext(HttpRequestMessage proxyRequest)
    {
        if (Activity.Current is { } current && ReferenceEquals(current.Source, Source))
        {
            foreach (var field in DistributedContextPropagator.Current.Fields)
            {
                proxyRequest.Headers.Remove(field);
            }
        }
    }

    private static void GetHeader(object? carrier, string name, out string? value, out IEnumerable<string>? values)
    {
        values = null;
        value = carrier is IHeaderDictionary headers && headers.TryGetValue(name, out var found) && !StringValues.IsNullOrEmpty(found) ? found.ToString() : null;
    }
}
