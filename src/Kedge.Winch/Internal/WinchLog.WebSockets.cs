namespace Kedge.Winch.Internal;

/// <summary>winch's WebSocket log messages (event ids 2340–2349).</summary>
internal static partial class WinchLog
{
    [LoggerMessage(EventId = 2340, EventName = "KedgeWithoutExtendedConnect", Level = LogLevel.Information, Message = "kedge {KedgeUrl} speaks HTTP/2 but not extended CONNECT (RFC 8441, as Go kedge); winch sends it WebSockets as HTTP/1.1 upgrades from now on")]
    public static partial void KedgeWithoutExtendedConnect(ILogger logger, Uri kedgeUrl);
}
