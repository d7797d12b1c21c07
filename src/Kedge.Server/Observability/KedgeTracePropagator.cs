using System.Diagnostics;

namespace Kedge.Server.Observability;

/// <summary>
/// The trace headers kedge sends to a backend. Within a kedge span (the request's, or an HTTP client activity under it) the
/// caller's <c>traceparent</c>, <c>tracestate</c> and <c>baggage</c> (copied by YARP) are replaced by kedge's context,
/// so the backend's span is kedge's child. Otherwise (tracing off) nothing is touched: the caller's headers pass through
/// as they came, even when something else in the process (a test host, a library) listens to HTTP client activities.
/// </summary>
internal sealed class KedgeTracePropagator(DistributedContextPropagator inner) : DistributedContextPropagator
{
    public override IReadOnlyCollection<string> Fields => inner.Fields;

    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter)
    {
        // SocketsHttpHandler makes an HTTP client activity under the current one even when no one listens to it; kedge
        // does not export those, so the backend is told kedge's span, which is exported, as its parent.
        var span = IsKedgeSpan(activity) ? activity : IsKedgeSpan(activity?.Parent) ? activity!.Parent : null;
        if (span is null)
        {
            return;
        }

        if (carrier is HttpRequestMessage request)
        {
            foreach (var field in inner.Fields)
            {
                request.Headers.Remove(field);
            }
        }

        inner.Inject(span, carrier, setter);
    }

    public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState)
        => inner.ExtractTraceIdAndState(carrier, getter, out traceId, out traceState);

    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter)
        => inner.ExtractBaggage(carrier, getter);

    private static bool IsKedgeSpan(Activity? activity) => activity?.Source == KedgeTracing.Source;
}
