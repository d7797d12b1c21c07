using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>Lines a caller asks for with <c>X-Kedge-Info-Logs</c> (Go kedge's reporter): event ids 1470–1479.</summary>
internal static partial class KedgeServerLog
{
    /// <summary>
    /// The Information lines any caller can ask for (a proxied request, a refusal the caller caused): limited like a
    /// Warning (<see cref="Observability.RateLimitedLoggerProvider"/>), or one header on every request would write one
    /// line per request.
    /// </summary>
    public static bool IsCallerRequestedInformation(int eventId) => eventId is InfoLogsRequestProxiedEventId or InfoLogsRequestRefusedEventId;

    private const int InfoLogsRequestProxiedEventId = 1470;
    private const int InfoLogsRequestRefusedEventId = 1472;

    // The messages start as Go kedge's did and carry its field name, so log searches written for Go kedge still match.
    [LoggerMessage(EventId = InfoLogsRequestProxiedEventId, EventName = "InfoLogsRequestProxied", Level = LogLevel.Information, Message = "Request proxied inside cluster force-info-log-header={ForceInfoLogHeader} target={Target} backend={Backend} status={StatusCode}")]
    public static partial void InfoLogsRequestProxied(ILogger logger, string forceInfoLogHeader, string target, string backend, int statusCode);

    [LoggerMessage(EventId = 1471, EventName = "InfoLogsRequestFailed", Level = LogLevel.Error, Message = "Failed to proxy request inside cluster. {ErrorType} force-info-log-header={ForceInfoLogHeader} target={Target} backend={Backend}: {ErrorMessage}")]
    public static partial void InfoLogsRequestFailed(ILogger logger, string errorType, string forceInfoLogHeader, string target, string backend, string errorMessage);

    // A refusal the caller caused (no credentials, no route …) stays below Warning even when asked for: any caller,
    // before authentication, could otherwise turn its own refusals into Error lines and page someone.
    [LoggerMessage(EventId = InfoLogsRequestRefusedEventId, EventName = "InfoLogsRequestRefused", Level = LogLevel.Information, Message = "Failed to proxy request inside cluster. {ErrorType} force-info-log-header={ForceInfoLogHeader} target={Target} backend={Backend}: {ErrorMessage}")]
    public static partial void InfoLogsRequestRefused(ILogger logger, string errorType, string forceInfoLogHeader, string target, string backend, string errorMessage);
}
