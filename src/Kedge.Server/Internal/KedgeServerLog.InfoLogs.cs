using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>Lines a caller asks for with <c>X-Kedge-Info-Logs</c> (Go kedge's reporter): event ids 1470–1479.</summary>
internal static partial class KedgeServerLog
{
    /// <summary>
    /// The Information line any caller can ask for: limited like a Warning (<see cref="Observability.RateLimitedLoggerProvider"/>),
    /// or one header on every request would write one line per request.
    /// </summary>
    public const int InfoLogsRequestProxiedEventId = 1470;

    // The messages start as Go kedge's did and carry its field name, so log searches written for Go kedge still match.
    [LoggerMessage(EventId = InfoLogsRequestProxiedEventId, EventName = "InfoLogsRequestProxied", Level = LogLevel.Information, Message = "Request proxied inside cluster force-info-log-header={ForceInfoLogHeader} target={Target} backend={Backend} status={StatusCode}")]
    public static partial void InfoLogsRequestProxied(ILogger logger, string forceInfoLogHeader, string target, string backend, int statusCode);

    [LoggerMessage(EventId = 1471, EventName = "InfoLogsRequestFailed", Level = LogLevel.Error, Message = "Failed to proxy request inside cluster. {ErrorType} force-info-log-header={ForceInfoLogHeader} target={Target} backend={Backend}: {ErrorMessage}")]
    public static partial void InfoLogsRequestFailed(ILogger logger, string errorType, string forceInfoLogHeader, string target, string backend, string errorMessage);
}
