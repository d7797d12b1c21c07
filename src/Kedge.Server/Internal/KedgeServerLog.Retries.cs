using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>Retry and resend messages: event ids 1300–1319.</summary>
internal static partial class KedgeServerLog
{
    // Debug: a caller can provoke resends at will (any request to a dropping backend); the metric counts them.
    [LoggerMessage(EventId = 1300, EventName = "RequestResent", Level = LogLevel.Debug, Message = "{Method} request to backend '{Backend}' was dropped by {Failed} without an answer; resent once to {Next} (the route sets ResendIdempotentOnce).")]
    public static partial void RequestResent(ILogger logger, string method, string backend, string failed, string next, Exception exception);
}
