using System.Diagnostics;

namespace Kedge.Client.Http;

/// <summary>
/// Puts the trace context into a request for kedge and, afterwards, the caller's own trace headers back.
/// </summary>
/// <remarks>
/// The connections to kedge have System.Net.Http's propagation turned off (see <see cref="KedgeConnectionFactory"/>):
/// its handler would start a span of its own below Kedge.Client's, and when nothing samples that one, kedge would be
/// parented to a span no exporter ever sees. Here the context is injected once, with
/// <see cref="DistributedContextPropagator.Current"/> (W3C <c>traceparent</c>/<c>tracestate</c>/<c>baggage</c> by default).
/// </remarks>
internal sealed class TraceContextHeaders
{
    private readonly HttpRequestMessage _request;
    private readonly bool _replace;
    private List<(string Name, string[]? CallerValues)>? _changed;

    private TraceContextHeaders(HttpRequestMessage request, bool replace)
    {
        _request = request;
        _replace = replace;
    }

    /// <summary>
    /// Injects <paramref name="context"/>. Kedge.Client's own span replaces trace headers the request already carries (a
    /// proxy such as winch copies its caller's; kedge's parent must be this span). Another current activity is injected
    /// only into a request without trace headers, as System.Net.Http does.
    /// </summary>
    /// <returns>What to undo after the send, or null when nothing was changed.</returns>
    public static TraceContextHeaders? Inject(HttpRequestMessage request, Activity context, bool ownSpan)
    {
        var propagator = DistributedContextPropagator.Current;
        if (!ownSpan)
        {
            foreach (var field in propagator.Fields)
            {
                if (request.Headers.NonValidated.Contains(field))
                {
                    return null;
                }
            }
        }

        var injection = new TraceContextHeaders(request, ownSpan);
        propagator.Inject(context, injection, static (carrier, name, value) => ((TraceContextHeaders)carrier!).Set(name, value));
        return injection._changed is null ? null : injection;
    }

    /// <summary>Removes the injected headers and puts back the values the caller had set.</summary>
    public void Restore()
    {
        foreach (var (name, callerValues) in _changed!)
        {
            _request.Headers.Remove(name);
            if (callerValues is not null)
            {
                _request.Headers.TryAddWithoutValidation(name, callerValues);
            }
        }
    }

    private void Set(string name, string value)
    {
        string[]? callerValues = null;
        if (_request.Headers.NonValidated.TryGetValues(name, out var existing))
        {
            if (!_replace)
            {
                return;
            }

            callerValues = [.. existing];
            _request.Headers.Remove(name);
        }

        _request.Headers.TryAddWithoutValidation(name, value);
        (_changed ??= []).Add((name, callerValues));
    }
}
