using Microsoft.Extensions.Logging;

namespace Kedge.Client.Tunnels;

/// <summary>Kedge.Client's tunnel log messages; event ids 700–719 (issue 16's block for tunnels), never reused.</summary>
internal static partial class KedgeTunnelLog
{
    [LoggerMessage(EventId = 700, EventName = "TunnelOpened", Level = LogLevel.Debug, Message = "Tunnel to {Target} opened through kedge {KedgeUrl}.")]
    public static partial void Opened(ILogger logger, string target, Uri kedgeUrl);

    [LoggerMessage(EventId = 701, EventName = "TunnelNotKedgeDestination", Level = LogLevel.Debug, Message = "No tunnel to {Target}: {Reason}")]
    public static partial void NotKedgeDestination(ILogger logger, string target, string reason);
}
