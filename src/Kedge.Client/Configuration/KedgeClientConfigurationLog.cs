using Microsoft.Extensions.Logging;

namespace Kedge.Client.Configuration;

/// <summary>Log messages about the client's configuration and its reloads. Event ids 620–649.</summary>
internal static partial class KedgeClientConfigurationLog
{
    [LoggerMessage(EventId = 620, EventName = "ClientConfigurationRejected", Level = LogLevel.Warning,
        Message = "The Kedge.Client configuration under '{Section}' changed but is invalid; still using the previous routes, certificates and token sources. Fix these {ErrorCount} error(s):\n{Errors}")]
    public static partial void Rejected(ILogger logger, string section, int errorCount, string errors);

    [LoggerMessage(EventId = 621, EventName = "ClientConfigurationReloaded", Level = LogLevel.Information,
        Message = "Applied the changed Kedge.Client configuration under '{Section}': calls from now on use its routes, certificates and token sources.")]
    public static partial void Reloaded(ILogger logger, string section);

    [LoggerMessage(EventId = 622, EventName = "ClientConfigurationUnchanged", Level = LogLevel.Debug,
        Message = "The configuration reloaded; the Kedge.Client settings under '{Section}' are unchanged, so connections are kept.")]
    public static partial void Unchanged(ILogger logger, string section);
}
