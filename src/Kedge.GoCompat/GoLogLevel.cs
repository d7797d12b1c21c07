using Microsoft.Extensions.Logging;

namespace Kedge.GoCompat;

/// <summary>logrus level names (Go kedge's and winch's <c>--log_level</c>) as .NET log levels.</summary>
public static class GoLogLevel
{
    /// <summary>panic and fatal are Critical, warn and warning Warning; unknown names are Information.</summary>
    public static LogLevel ToLogLevel(string level) => level.ToLowerInvariant() switch
    {
        "panic" or "fatal" => LogLevel.Critical,
        "error" => LogLevel.Error,
        "warn" or "warning" => LogLevel.Warning,
        "debug" => LogLevel.Debug,
        "trace" => LogLevel.Trace,
        _ => LogLevel.Information,
    };
}
