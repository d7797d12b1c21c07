using Grpc.Core;
using Kedge.Common;
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

    /// <summary>
    /// Refuses a malformed HTTP/2 request the way RFC 9113 §8.1.1 says: the stream is reset with PROTOCOL_ERROR (a 400 where
    /// the connection cannot reset a stream). Counted and logged at Debug like every caller-caused refusal.
    /// </summary>
    public Task RefuseMalformedAsync(HttpContext context, string message)
    {
        if (context.Features.Get<IHttpResetFeature>() is { } reset)
        {
            var kind = KedgeErrorKind.MalformedRequest;
            metrics.ProxyError(string.Empty, kind.Name);
            if (context.Features.Get<KedgeRequestFeature>() is { } request)
            {
                request.ErrorType ??= kind.Name;
            }
            var target = Printable(context.Request.Host.Value ?? string.Empty);
            KedgeServerLog.RequestRefused(logger, target, kind.Name, message);
            LogForCaller(context, kind, 400, target, string.Empty, message);
            reset.Reset(1); // PROTOCOL_ERROR
            return Task.CompletedTask;
        }

        return ReportAsync(context, KedgeErrorKind.MalformedRequest, message, backend: string.Empty, isGrpc: false);
    }

    /// <summary>
    /// Answers the request with the error, unless the response has already started (then it is only counted).
    /// <paramref name="httpStatus"/> picks one of the type's answers when it has several; the usual one otherwise.
    /// </summary>
    public async Task ReportAsync(HttpContext context, KedgeErrorKind type, string message, string backend, bool isGrpc, int? httpStatus = null, bool writeBody = true)
    {
        var status = httpStatus ?? type.HttpStatus;
        var typeName = type.Name;
        metrics.ProxyError(backend, typeName);
        if (context.Features.Get<KedgeRequestFeature>() is { } request)
        {
            request.ErrorType ??= typeName;
        }

        // Messages can carry caller-controlled text (a certificate's names, a token's subject, a host): printable
        // ASCII only, so it can neither break the header nor forge log lines.
        message = Printable(message);
        var target = Printable(context.Request.Host.Value ?? string.Empty);
        if (type.IsCallerCaused || status is >= 400 and < 500)
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

        LogForCaller(context, type, status, target, backend, message);

        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Headers[KedgeHeaders.Error] = message;
        context.Response.Headers[KedgeHeaders.ErrorType] = typeName;
        if (isGrpc)
        {
            WriteGrpcStatus(context.Response, type.GrpcStatusFor(status), message);
            return;
        }

        context.Response.StatusCode = status;
        if (writeBody)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(message);
        }
    }

    /// <summary>Answers a gRPC call with a trailers-only response (<see cref="GrpcTrailersOnly"/>): the status travels in the headers.</summary>
    private static void WriteGrpcStatus(HttpResponse response, StatusCode status, string message)
    {
        response.StatusCode = GrpcTrailersOnly.HttpStatus;
        foreach (var (name, value) in GrpcTrailersOnly.Headers(status, message))
        {
            response.Headers[name] = value;
        }
    }

    /// <summary>
    /// Logs a proxied request at Information, as Go kedge did for a request carrying <c>X-Kedge-Info-Logs</c>; nothing
    /// when the request does not ask (the common case costs one header lookup).
    /// </summary>
    public void LogProxiedForCaller(HttpContext context, string backend)
    {
        if (InfoLogsValue(context) is { } value)
        {
            var target = Printable(context.Request.Host.Value ?? string.Empty);
            KedgeServerLog.InfoLogsRequestProxied(logger, value, target, backend, context.Response.StatusCode);
        }
    }

    /// <summary>
    /// The caller's <c>X-Kedge-Info-Logs</c> value when it is 1 to 128 visible ASCII characters (the rule for request
    /// ids), else <see langword="null"/>: the value goes into log lines, so it can neither be long nor forge a line.
    /// </summary>
    private static string? InfoLogsValue(HttpContext context)
    {
        var values = context.Request.Headers[KedgeHeaders.InfoLogs];
        return values.Count == 1 && values[0] is { } value && RequestIds.IsValid(value) ? value : null;
    }

    // Go kedge logged a failed request at Error when the caller asked with X-Kedge-Info-Logs. The caller chooses to
    // cause these lines, so they are limited like every Warning-or-worse line (RateLimitedLoggerProvider); a refusal
    // the caller caused is logged at Information, so that no caller can raise its own refusals to Error.
    private void LogForCaller(HttpContext context, KedgeErrorKind type, int status, string target, string backend, string message)
    {
        if (InfoLogsValue(context) is not { } value)
        {
            return;
        }

        if (type.IsCallerCaused || status is >= 400 and < 500)
        {
            KedgeServerLog.InfoLogsRequestRefused(logger, type.Name, value, target, backend, message);
        }
        else
        {
            KedgeServerLog.InfoLogsRequestFailed(logger, type.Name, value, target, backend, message);
        }
    }
}
