using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Kedge.Server.Observability;

/// <summary>Label values of the Go-compatible <c>grpc_server_*</c> families (go-grpc-prometheus).</summary>
internal static class GrpcLabels
{
    /// <summary>
    /// kedge proxies every call without knowing its type; Go kedge's UnknownServiceHandler reported each as a
    /// bidirectional stream, so dashboards built on it select this value.
    /// </summary>
    public const string Type = "bidi_stream";

    /// <summary>The names of gRPC status codes 0–16, as grpc-go spells them.</summary>
    public static readonly string[] Codes =
    [
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied",
        "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable",
        "DataLoss", "Unauthenticated",
    ];

    private const int UnknownCode = 2;

    /// <summary>
    /// The call's status as the metrics and the dashboard count it: what <see cref="TryStatusOf"/> read, and a call that
    /// ended without one (the backend broke off, or answered plain HTTP) is <c>Unknown</c>.
    /// </summary>
    public static int OrUnknown(int? status) => status ?? UnknownCode;

    /// <summary>
    /// The call's status: <c>grpc-status</c> from the trailers, or from the headers of a trailers-only answer (kedge's
    /// own refusals); null when the response carries none (or one past 16). Read once per request, when it completes. A
    /// call translated from gRPC-Web keeps its trailers on <see cref="KedgeRequestFeature.GrpcWebTrailers"/>.
    /// </summary>
    public static int? TryStatusOf(HttpContext context)
    {
        var trailers = context.Features.Get<KedgeRequestFeature>()?.GrpcWebTrailers ?? context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        var value = trailers is not null && trailers.TryGetValue("grpc-status", out var fromTrailers)
            ? fromTrailers
            : context.Response.Headers.TryGetValue("grpc-status", out var fromHeaders) ? fromHeaders : StringValues.Empty;
        return int.TryParse(value.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) && code < Codes.Length
            ? code
            : null;
    }

    /// <summary>Splits <c>/package.Service/Method</c> into service and method (an unexpected shape is all method).</summary>
    public static (string Service, string Method) Split(string path)
    {
        var trimmed = path.TrimStart('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? (string.Empty, trimmed) : (trimmed[..slash], trimmed[(slash + 1)..]);
    }
}
