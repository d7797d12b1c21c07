using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>The access log and the tracing set-up: event ids 1500–1519.</summary>
internal static partial class KedgeServerLog
{
    /// <summary>The access log's own category, so it can be routed or filtered apart from kedge's other lines.</summary>
    public const string AccessLogCategory = "Kedge.Server.AccessLog";

    // Information, so RateLimitedLoggerProvider leaves it alone: it is opt-in and one line per request by design; dropping
    // lines would make it useless for finding one call. Fields a caller controls are printable ASCII by the time they get here.
    [LoggerMessage(EventId = 1500, EventName = "AccessLog", Level = LogLevel.Information,
        Message = "{Method} {Authority}{Path} {Protocol} status={Status} grpc_status={GrpcStatus} route={Route} backend={Backend} endpoint={Endpoint} error={ErrorType} retries={Retries} bytes_in={BytesIn} bytes_out={BytesOut} duration_ms={DurationMs} caller=\"{Caller}\" caller_san=\"{CallerSan}\" request_id={RequestId} trace_id={TraceId} time={Time}")]
    public static partial void AccessLog(ILogger logger, string method, string authority, string path, string protocol, int status, string grpcStatus, string route, string backend, string endpoint, string errorType, int retries, long bytesIn, long bytesOut, double durationMs, string caller, string callerSan, string requestId, string traceId, string time);

    [LoggerMessage(EventId = 1501, EventName = "TracingEnabled", Level = LogLevel.Information, Message = "Tracing: spans of {Sources} are exported over OTLP to {Endpoint} (service.name and sampler from OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER; default service.name kedge, sampler parentbased_always_on).")]
    public static partial void TracingEnabled(ILogger logger, string sources, string endpoint);
}
