using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>Messages about logging itself: event ids 1340–1359.</summary>
internal static partial class KedgeServerLog
{
    [LoggerMessage(EventId = 1340, EventName = "LogLinesSuppressed", Level = LogLevel.Warning, Message = "{Count} more {Level} lines of event {SuppressedEventId} ({SuppressedEventName}) were not logged in the last {Interval}; the last one: {LastMessage}")]
    public static partial void LogLinesSuppressed(ILogger logger, long count, LogLevel level, int suppressedEventId, string? suppressedEventName, TimeSpan interval, string lastMessage);
}
