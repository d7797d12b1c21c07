namespace Kedge.Winch.Internal;

/// <summary>winch's tunnel log messages (CONNECT and <c>winch forward</c>); event ids 2300–2329, never reused.</summary>
internal static partial class WinchTunnelLog
{
    [LoggerMessage(EventId = 2300, EventName = "TunnelOpened", Level = LogLevel.Debug, Message = "{Source}: tunnel to {Target} opened through kedge (connection {ConnectionId})")]
    public static partial void Opened(ILogger logger, string source, Tunnels.WinchTunnelTarget target, string connectionId);

    [LoggerMessage(EventId = 2301, EventName = "TunnelClosed", Level = LogLevel.Debug, Message = "{Source}: tunnel to {Target} closed ({Reason}): {Upstream} bytes sent, {Downstream} bytes received in {Duration} (connection {ConnectionId})")]
    public static partial void Closed(ILogger logger, string source, Tunnels.WinchTunnelTarget target, string reason, long upstream, long downstream, TimeSpan duration, string connectionId);

    // Debug: the caller chose the destination, so a caller in a loop could otherwise flood the log.
    [LoggerMessage(EventId = 2302, EventName = "TunnelRefused", Level = LogLevel.Debug, Message = "{Source}: tunnel to {Target} refused: {StatusCode} {ErrorType}: {Error}")]
    public static partial void Refused(ILogger logger, string source, Tunnels.WinchTunnelTarget target, int statusCode, string errorType, string error);

    // Rate-limited by WinchLogThrottle: every connection of a forward would repeat it while a kedge is down.
    [LoggerMessage(EventId = 2303, EventName = "TunnelFailed", Level = LogLevel.Warning, Message = "{Source}: tunnel to {Target} failed: {StatusCode} {ErrorType}: {Error} ({Suppressed} similar failures not logged since the last one)")]
    public static partial void Failed(ILogger logger, string source, Tunnels.WinchTunnelTarget target, int statusCode, string errorType, string error, int suppressed);

    [LoggerMessage(EventId = 2304, EventName = "ForwardListening", Level = LogLevel.Information, Message = "winch forward: {Listen} → {Target} through kedge")]
    public static partial void ForwardListening(ILogger logger, string listen, Tunnels.WinchTunnelTarget target);
}
