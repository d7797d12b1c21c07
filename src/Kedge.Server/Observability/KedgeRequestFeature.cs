namespace Kedge.Server.Observability;

/// <summary>
/// What kedge learned about one request while proxying it: the route and backend it matched, the endpoint it chose and
/// the error kedge answered with. The proxy fills it in; <see cref="KedgeRequestTelemetry"/> reads it once the response
/// is done, so the request metrics, the trace span and the access log report the same facts.
/// </summary>
internal sealed class KedgeRequestFeature(long startTimestamp)
{
    /// <summary>The timestamp (<see cref="TimeProvider.GetTimestamp"/> of kedge's time provider) at which kedge began handling the request.</summary>
    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>Whether the request was handled as gRPC (by content type).</summary>
    public bool IsGrpc { get; set; }

    /// <summary>The <c>protocol</c> label: <c>grpc</c> or <c>http</c>.</summary>
    public string Protocol => IsGrpc ? "grpc" : "http";

    /// <summary>The matched route's metric name; empty when no route matched (adhoc requests use the adhoc name).</summary>
    public string Route { get; set; } = string.Empty;

    /// <summary>The backend the request was sent to (<c>_adhoc</c> for adhoc rules); empty when there was none.</summary>
    public string Backend { get; set; } = string.Empty;

    /// <summary>The endpoint (host:port) kedge sent the request to last (after retries), or null when it chose none.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The error type of kedge's own answer (the first one reported, as in Go), or null when there was none.</summary>
    public string? ErrorType { get; set; }

    /// <summary>The request id kedge sent to the backend and echoed to the caller, or null when it proxied nothing.</summary>
    public string? RequestId { get; set; }

    /// <summary>The request statistics of the route and backend, when the request reached one.</summary>
    public RequestStats? Stats { get; set; }

    /// <summary>How often the request was sent again to another endpoint (connect failures, an opted-in resend).</summary>
    public int Retries { get; set; }

    /// <summary>
    /// The trailers of a call translated from gRPC-Web (<see cref="Forwarding.GrpcWebTranslator"/>): they travel in the
    /// body, so the call's <c>grpc-status</c> is read from here. Null for every other request.
    /// </summary>
    public Microsoft.AspNetCore.Http.IHeaderDictionary? GrpcWebTrailers { get; set; }

    /// <summary>The request's server span, when one is recorded (see <see cref="KedgeTracing"/>).</summary>
    public System.Diagnostics.Activity? Span { get; set; }

    /// <summary>
    /// Carries the feature on the request sent to the backend, so the backend's client handler (retries on another
    /// endpoint) updates <see cref="Endpoint"/> and records its events on the request's span.
    /// </summary>
    public static readonly HttpRequestOptionsKey<KedgeRequestFeature> Option = new("Kedge.RequestFeature");
}
