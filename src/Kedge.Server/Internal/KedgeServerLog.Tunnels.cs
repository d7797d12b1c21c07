using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>Tunnel messages: event ids 1600–1629. Per tunnel at Debug: any caller can open and close tunnels at will; the metrics count them.</summary>
internal static partial class KedgeServerLog
{
    [LoggerMessage(EventId = 1600, EventName = "TunnelOpened", Level = LogLevel.Debug, Message = "Tunnel to {Target} opened (route '{Route}', backend '{Backend}').")]
    public static partial void TunnelOpened(ILogger logger, string target, string route, string backend);

    [LoggerMessage(EventId = 1601, EventName = "TunnelClosed", Level = LogLevel.Debug, Message = "Tunnel to {Target} closed (route '{Route}'): {Reason} after {DurationSeconds} s.")]
    public static partial void TunnelClosed(ILogger logger, string target, string route, string reason, double durationSeconds);

    [LoggerMessage(EventId = 1602, EventName = "TunnelConnectFailed", Level = LogLevel.Debug, Message = "Tunnel: connecting to endpoint {Endpoint} of backend '{Backend}' failed: {Reason}.")]
    public static partial void TunnelConnectFailed(ILogger logger, string endpoint, string backend, string reason);

    [LoggerMessage(EventId = 1603, EventName = "TunnelHeadRefused", Level = LogLevel.Debug, Message = "HTTP/1.1 CONNECT refused before routing: {Reason}.")]
    public static partial void TunnelHeadRefused(ILogger logger, string reason);
}
