using System.Globalization;
using Kedge.Server.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Forwarding;

/// <summary>
/// The one place proxy errors are reported: status code (or gRPC status), <c>X-Kedge-Error</c> headers, metric and log.
/// </summary>
internal sealed class KedgeErrors(KedgeMetrics metrics, ILogger<KedgeErrors> logger)
{
    public const string ErrorHeader = "X-Kedge-Error";
    public const string ErrorTypeHeader = "X-Kedge-Error-Type";

    public static string Name(KedgeErrorType type) => type switch
    {
        KedgeErrorType.NoRoute => "no-route",
        KedgeErrorType.UnknownRouteError => "unknown-route-error",
        KedgeErrorType.Unauthorized => "unauthorized",
        KedgeErrorType.Forbidden => "forbidden",
        KedgeErrorType.NoBackend => "no-backend",
        KedgeErrorType.BackendTransportClosed => "backend-transport-closed",
        KedgeErrorType.NoResolutionAvailable => "no-resolution-available",
        KedgeErrorType.NoConnectionToAllResolvedAddresses => "no-connection-to-all-resolved-addresses",
        KedgeErrorType.MalformedRequest => "malformed-request",
        _ => "transport-unknown-error",
    };

    /// <summary>
    /// Whether the caller's request is the cause: an unknown name, a bad or refused port, a name that does not resolve,
    /// missing or insufficient credentials, a refused destination. Such answers are logged at Debug only.
    /// </summary>
    public static bool IsCallerCaused(KedgeErrorType type)
        => type is KedgeErrorType.NoRoute or KedgeErrorType.UnknownRouteError or KedgeErrorType.Unauthorized or KedgeErrorType.Forbidden
            or KedgeErrorType.MalformedRequest;

    /// <summary>Replaces every character outside printable ASCII with '?'.</summary>
    internal static string Printable(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                return string.Create(text.Length, text, static (span, source) =>
                {
                    for (var i = 0; i < source.Length; i++)
                    {
                        span[i] = source[i] is < ' ' or > '~' ? '?' : source[i];
                    }
                });
            }
        }

        return text;
    }

    /// <summary>gRPC status codes (numbers from the gRPC spec).</summary>
    public static int GrpcStatus(KedgeErrorType type, int httpStatus) => type switch
    {
        KedgeErrorType.NoRoute => 12, // Unimplemented
        KedgeErrorType.Unauthorized => 16, // Unauthenticated
        KedgeErrorType.Forbidden => 7, // PermissionDenied
        KedgeErrorType.UnknownRouteError => httpStatus == StatusCodes.Status400BadRequest ? 3 : 5, // InvalidArgument, NotFound
        KedgeErrorType.MalformedRequest => 3, // InvalidArgument
        _ => 14, // Unavailable
    };

    /// <summary>
    /// Refuses a malformed HTTP/2 request the way RFC 9113 §8.1.1 says: the stream is reset with PROTOCOL_ERROR (a 400 where
    /// the connection cannot reset a stream). Counted and logged at Debug like every caller-caused refusal.
    /// </summary>
    public Task RefuseMalformedAsync(HttpContext context, string message)
    {
        if (context.Features.Get<IHttpResetFeature>() is { } reset)
        {
            var typeName = Name(KedgeErrorType.MalformedRequest);
            metrics.ProxyError(string.Empty, typeName);
            var target = Printable(context.Request.Host.Value ?? string.Empty);
            KedgeServerLog.RequestRefused(logger, target, typeName, message);
            reset.Reset(1); // PROTOCOL_ERROR
            return Task.CompletedTask;
        }

        return ReportAsync(context, KedgeErrorType.MalformedRequest, message, backend: string.Empty, isGrpc: false, StatusCodes.Status400BadRequest);
    }

    /// <summary>Answers the request with the error, unless the response has already started (then it is only counted).</summary>
    public async Task ReportAsync(HttpContext context, KedgeErrorType type, string message, string backend, bool isGrpc, int httpStatus = StatusCodes.Status502BadGateway, bool writeBody = true)
    {
        var typeName = Name(type);
        metrics.ProxyError(backend, typeName);

        // Messages can carry caller-controlled text (a certificate's names, a token's subject, a host): printable
        // ASCII only, so it can neither break the header nor forge log lines.
        message = Printable(message);
        var target = Printable(context.Request.Host.Value ?? string.Empty);
        if (IsCallerCaused(type) || httpStatus is >= 400 and < 500)
        {
            // Refused callers (and requests the caller malformed) are routine and can be many: any caller could flood
            // the log. They are counted, and logged only at Debug. The rest (backend and transport failures) log at
            // Warning, aggregated per interval.
            KedgeServerLog.RequestRefused(logger, target, typeName, message);
        }
        else
        {
            KedgeServerLog.ProxyError(logger, target, typeName, backend, message);
        }

        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Headers[ErrorHeader] = message;
        context.Response.Headers[ErrorTypeHeader] = typeName;
        if (isGrpc)
        {
            // A trailers-only gRPC response: the status travels in the headers.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = GrpcStatus(type, httpStatus).ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return;
        }

        context.Response.StatusCode = httpStatus;
        if (writeBody)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(message);
        }
    }
}
