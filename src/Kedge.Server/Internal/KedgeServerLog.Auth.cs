using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>Authorization and adhoc messages: event ids 1200–1299.</summary>
internal static partial class KedgeServerLog
{
    [LoggerMessage(EventId = 1200, EventName = "AuthorizationConfigured", Level = LogLevel.Information, Message = "Default authorization: {Description}.")]
    public static partial void AuthorizationConfigured(ILogger logger, string description);

    [LoggerMessage(EventId = 1201, EventName = "RequestRefused", Level = LogLevel.Debug, Message = "Request for {Target} refused with {ErrorType}: {ErrorMessage}")]
    public static partial void RequestRefused(ILogger logger, string target, string errorType, string errorMessage);
}
