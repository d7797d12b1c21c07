using System.Diagnostics;
using System.Globalization;
using Kedge.Server.Configuration;
using Kedge.Server.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Observability;

/// <summary>
/// The one place every request kedge answers on its proxy ports is observed: it starts the clock, hands the request to
/// the proxy with a <see cref="KedgeRequestFeature"/> to fill in, and records the outcome once the response is done:
/// metrics always; the server span when tracing is on (<see cref="KedgeTracing"/>); the access log line when it is on.
/// </summary>
internal sealed class KedgeRequestTelemetry
{
    private const string TraceParentHeader = "traceparent";

    private static readonly DistributedContextPropagator.PropagatorGetterCallback HeaderGetter = static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
    {
        values = null;
        value = ((IHeaderDictionary)carrier!)[name];
    };

    private readonly KedgeProxyMiddleware _proxy;
    private readonly KedgeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger? _accessLog;

    public KedgeRequestTelemetry(KedgeProxyMiddleware proxy, KedgeMetrics metrics, KedgeServerSettings settings, ILoggerFactory loggers, TimeProvider time)
    {
        _proxy = proxy;
        _metrics = metrics;
        _time = time;
        _accessLog = settings.AccessLog ? loggers.CreateLogger(KedgeServerLog.AccessLogCategory) : null;
    }

    // Not async on the common path: a request the proxy finishes synchronously (a refusal) costs no state machine.
    public Task InvokeAsync(HttpContext context)
    {
        var feature = new KedgeRequestFeature(_time.GetTimestamp());
        context.Features.Set(feature);
        if (_accessLog is not null || KedgeTracing.Source.HasListeners())
        {
            return InvokeObservedAsync(context, feature);
        }

        Task proxied;
        try
        {
            proxied = _proxy.InvokeAsync(context);
        }
        catch (Exception ex)
        {
            Failed(context, feature, ex);
            Complete(context, feature);
            throw;
        }

        if (proxied.IsCompletedSuccessfully)
        {
            Complete(context, feature);
            return Task.CompletedTask;
        }

        return AwaitThenCompleteAsync(proxied, context, feature);
    }

    private async Task AwaitThenCompleteAsync(Task proxied, HttpContext context, KedgeRequestFeature feature)
    {
        try
        {
            await proxied;
        }
        catch (Exception ex)
        {
            Failed(context, feature, ex);
            throw;
        }
        finally
        {
            Complete(context, feature);
        }
    }

    /// <summary>
    /// An exception escaped the proxy: Kestrel answers 500 only after this wrapper recorded the request, so the 500 and
    /// the exception's type are recorded here, or metrics, span and access log would report the 200 it never sent.
    /// </summary>
    private static void Failed(HttpContext context, KedgeRequestFeature feature, Exception exception)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }

        feature.ErrorType ??= exception.GetType().FullName;
    }

    /// <summary>Records the finished request in the metrics and the dashboard's live numbers; returns the gRPC status it read (once) for the span and access log.</summary>
    private int? Complete(HttpContext context, KedgeRequestFeature feature)
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(feature.StartTimestamp, now);
        var grpcStatus = feature.IsGrpc ? GrpcLabels.TryStatusOf(context) : null;
        _metrics.RequestCompleted(context, feature, elapsed, grpcStatus);
        // The dashboard's live numbers: a few lock-free adds on the route's preallocated ring (routed requests only).
        feature.Stats?.Live.Record(now / _time.TimestampFrequency, elapsed.TotalSeconds, IsError(context, feature, grpcStatus));
        return grpcStatus;
    }

    /// <summary>
    /// The dashboard's one definition of an error (its error rate and ratio): a request kedge answered with its own error
    /// (<see cref="KedgeRequestFeature.ErrorType"/> set: no route, refused, backend unavailable, …, whatever the status),
    /// any 5xx answer (kedge's or the backend's), or a gRPC call that ended with a status other than OK. A backend's
    /// 4xx over HTTP is not an error: the backend answered. The Prometheus metrics have no error notion of their own;
    /// they carry the status and gRPC code as labels.
    /// </summary>
    private static bool IsError(HttpContext context, KedgeRequestFeature feature, int? grpcStatus)
        => feature.ErrorType is not null || context.Response.StatusCode >= 500 || (feature.IsGrpc && GrpcLabels.OrUnknown(grpcStatus) != 0);

    // An async method on purpose: the span it makes current (Activity.Current) stays in this request's execution context
    // and cannot leak into the next request Kestrel serves on the same connection.
    private async Task InvokeObservedAsync(HttpContext context, KedgeRequestFeature feature)
    {
        using var span = StartSpan(context);
        feature.Span = span;
        ByteCountingStream? bytesIn = null;
        ByteCountingResponseBodyFeature? bytesOut = null;
        if (_accessLog is not null)
        {
            context.Request.Body = bytesIn = new ByteCountingStream(context.Request.Body);
            // The response is counted through its feature, not a replaced Response.Body: see ByteCountingResponseBodyFeature.
            bytesOut = new ByteCountingResponseBodyFeature(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>());
            context.Features.Set<IHttpResponseBodyFeature>(bytesOut);
        }

        try
        {
            await _proxy.InvokeAsync(context);
        }
        catch (Exception ex)
        {
            Failed(context, feature, ex);
            throw;
        }
        finally
        {
            var grpcStatus = Complete(context, feature);
            if (_accessLog is not null)
            {
                WriteAccessLog(_accessLog, context, feature, span, grpcStatus, bytesIn!.Count, bytesOut!.Count);
            }

            if (span is not null)
            {
                EndSpan(span, context, feature, grpcStatus);
            }
        }
    }

    /// <summary>
    /// Starts the request's Server span, continuing the caller's W3C context (<c>traceparent</c>, <c>tracestate</c>,
    /// <c>baggage</c>) or starting a trace when there is none. Null when no one listens or the sampler drops it entirely.
    /// </summary>
    private static Activity? StartSpan(HttpContext context)
    {
        if (!KedgeTracing.Source.HasListeners())
        {
            return null;
        }

        var headers = context.Request.Headers;
        var propagator = DistributedContextPropagator.Current;
        propagator.ExtractTraceIdAndState(headers, HeaderGetter, out var traceParent, out var traceState);
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);
        var span = KedgeTracing.Source.CreateActivity(KedgeTracing.ServerSpanName, ActivityKind.Server, parent);
        if (span is null)
        {
            return null;
        }

        // The propagator gives the items in the order AddBaggage needs to keep the caller's order.
        if (propagator.ExtractBaggage(headers, HeaderGetter) is { } baggage)
        {
            foreach (var (key, value) in baggage)
            {
                span.AddBaggage(key, value);
            }
        }

        if (span.IsAllDataRequested)
        {
            var request = context.Request;
            var method = HttpLabels.SemconvMethods[HttpLabels.MethodIndex(request.Method)];
            span.DisplayName = method;
            span.SetTag("http.request.method", method);
            span.SetTag("url.scheme", request.Scheme);
            span.SetTag("url.path", KedgeErrors.Printable(request.Path.Value ?? "/"));
            span.SetTag("server.address", KedgeErrors.Printable(request.Host.Host));
            if (request.Host.Port is { } port)
            {
                span.SetTag("server.port", port);
            }

            if (HttpLabels.Versions[HttpLabels.VersionIndex(request.Protocol)] is { Length: > 0 } version)
            {
                span.SetTag("network.protocol.version", version);
            }
            span.SetTag("client.address", context.Connection.RemoteIpAddress?.ToString());
            var caller = CallerIdentity.Of(context);
            if (caller.Subject.Length > 0)
            {
                span.SetTag("kedge.caller.subject", caller.Subject);
            }

            if (caller.AlternativeNames.Length > 0)
            {
                span.SetTag("kedge.caller.san", caller.AlternativeNames);
            }
        }

        span.Start();
        return span;
    }

    private static void EndSpan(Activity span, HttpContext context, KedgeRequestFeature feature, int? grpcStatus)
    {
        var status = context.Response.StatusCode;
        var errorType = HttpLabels.ErrorType(feature.ErrorType, status);
        if (span.IsAllDataRequested)
        {
            span.SetTag("http.response.status_code", status);
            if (feature.Route.Length > 0)
            {
                span.SetTag("kedge.route", feature.Route);
                span.DisplayName = span.DisplayName + " " + feature.Route;
            }

            if (feature.Backend.Length > 0)
            {
                span.SetTag("kedge.backend", feature.Backend);
            }

            if (feature.Endpoint is { } endpoint)
            {
                span.SetTag("kedge.endpoint", endpoint);
            }

            if (feature.Retries > 0)
            {
                span.SetTag("kedge.retries", feature.Retries);
            }

            if (feature.IsGrpc)
            {
                span.SetTag("rpc.system", "grpc");
                var path = context.Request.Path.Value ?? string.Empty;
                var slash = path.LastIndexOf('/');
                if (slash > 0)
                {
                    span.SetTag("rpc.service", KedgeErrors.Printable(path[1..slash]));
                    span.SetTag("rpc.method", KedgeErrors.Printable(path[(slash + 1)..]));
                }

                if (grpcStatus is { } grpc)
                {
                    span.SetTag("rpc.grpc.status_code", grpc);
                }
            }

            if (errorType is not null)
            {
                span.SetTag("error.type", errorType);
            }
        }

        if (errorType is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, errorType);
        }
    }

    private void WriteAccessLog(ILogger logger, HttpContext context, KedgeRequestFeature feature, Activity? span, int? grpcStatus, long bytesIn, long bytesOut)
    {
        var elapsed = _time.GetElapsedTime(feature.StartTimestamp);
        var request = context.Request;
        var caller = CallerIdentity.Of(context);
        var method = KedgeErrors.Printable(request.Method);
        var authority = OrDash(KedgeErrors.Printable(request.Host.Value ?? string.Empty));
        var path = KedgeErrors.Printable(request.Path.Value ?? string.Empty);
        var grpc = grpcStatus?.ToString(CultureInfo.InvariantCulture) ?? "-";
        var route = OrDash(feature.Route);
        var backend = OrDash(feature.Backend);
        var subject = OrDash(caller.Subject);
        var names = caller.AlternativeNames.Length == 0 ? "-" : string.Join(",", caller.AlternativeNames);
        var requestId = RequestId(context, feature);
        var traceId = TraceId(context, span);
        var durationMs = Math.Round(elapsed.TotalMilliseconds, 3);
        var time = (_time.GetUtcNow() - elapsed).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        KedgeServerLog.AccessLog(logger, method, authority, path, feature.Protocol, context.Response.StatusCode, grpc, route, backend, feature.Endpoint ?? "-",
            feature.ErrorType ?? "-", feature.Retries, bytesIn, bytesOut, durationMs, subject, names, requestId, traceId, time);
    }

    /// <summary>
    /// The request id kedge used (kept on the feature when it proxied: the response header may also carry the backend's
    /// copy), else the caller's valid one, else the connection's.
    /// </summary>
    private static string RequestId(HttpContext context, KedgeRequestFeature feature)
    {
        if (feature.RequestId is { } id)
        {
            return id;
        }

        var incoming = context.Request.Headers[KedgeTransformer.RequestIdHeader];
        return incoming.Count == 1 && RequestIds.IsValid(incoming[0]) ? incoming[0]! : context.TraceIdentifier;
    }

    /// <summary>kedge's span's trace id, else (tracing off) the caller's from a valid <c>traceparent</c>, else "-".</summary>
    private static string TraceId(HttpContext context, Activity? span)
    {
        if (span is not null)
        {
            return span.TraceId.ToHexString();
        }

        var traceParent = context.Request.Headers[TraceParentHeader];
        return traceParent.Count == 1 && ActivityContext.TryParse(traceParent[0], null, out var caller) ? caller.TraceId.ToHexString() : "-";
    }

    private static string OrDash(string value) => value.Length == 0 ? "-" : value;
}
