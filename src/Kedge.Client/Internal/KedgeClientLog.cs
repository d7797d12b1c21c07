using Microsoft.Extensions.Logging;

namespace Kedge.Client.Internal;

/// <summary>Kedge.Client's log messages. Event ids 1–999 belong to Kedge.Client; never reuse one.</summary>
internal static partial class KedgeClientLog
{
    [LoggerMessage(EventId = 1, EventName = "RoutedThroughKedge", Level = LogLevel.Debug, Message = "Sending {Target} through kedge {KedgeUrl}.")]
    public static partial void RoutedThroughKedge(ILogger logger, string target, Uri kedgeUrl);

    [LoggerMessage(EventId = 2, EventName = "NotKedgeDestination", Level = LogLevel.Trace, Message = "{Target} is not a kedge destination; sending it directly.")]
    public static partial void NotKedgeDestination(ILogger logger, string target);

    [LoggerMessage(EventId = 3, EventName = "MappingFailed", Level = LogLevel.Warning, Message = "Could not map {Target} with the {Mapper}.")]
    public static partial void MappingFailed(ILogger logger, string target, string mapper, Exception exception);

    [LoggerMessage(EventId = 4, EventName = "TokenSourceFailed", Level = LogLevel.Warning, Message = "Token source '{TokenSource}' failed for {Target}.")]
    public static partial void TokenSourceFailed(ILogger logger, string tokenSource, string target, Exception exception);

    [LoggerMessage(EventId = 5, EventName = "KedgeErrorResponse", Level = LogLevel.Warning, Message = "Kedge {KedgeUrl} answered {StatusCode} for {Target} with error type '{ErrorType}': {ErrorMessage}")]
    public static partial void KedgeErrorResponse(ILogger logger, Uri kedgeUrl, int statusCode, string target, string? errorType, string errorMessage);

    [LoggerMessage(EventId = 6, EventName = "ClientCertificateReloaded", Level = LogLevel.Information, Message = "Loaded a new client certificate from {Path}: subject '{Subject}', expires {NotAfter:O}.")]
    public static partial void ClientCertificateReloaded(ILogger logger, string path, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 7, EventName = "ClientCertificateReloadFailed", Level = LogLevel.Warning, Message = "The client certificate files {Path} changed but could not be loaded; still using the previous certificate.")]
    public static partial void ClientCertificateReloadFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 8, EventName = "TrustBundleReloaded", Level = LogLevel.Information, Message = "Loaded new kedge CA files {Paths}.")]
    public static partial void TrustBundleReloaded(ILogger logger, string paths);

    [LoggerMessage(EventId = 9, EventName = "TrustBundleReloadFailed", Level = LogLevel.Warning, Message = "The kedge CA files {Paths} changed but could not be loaded; still trusting the previous CAs.")]
    public static partial void TrustBundleReloadFailed(ILogger logger, string paths, Exception exception);

    [LoggerMessage(EventId = 10, EventName = "TlsHandshakeFailed", Level = LogLevel.Warning, Message = "TLS handshake with kedge {Host}:{Port} (server name '{ServerName}') failed.")]
    public static partial void TlsHandshakeFailed(ILogger logger, string host, int port, string serverName, Exception exception);

    [LoggerMessage(EventId = 720, EventName = "KedgeEjected", Level = LogLevel.Warning, Message = "Kedge {Kedge} is ejected for {Duration} ({Reason}); calls go to the next kedge of their route.")]
    public static partial void KedgeEjected(ILogger logger, string kedge, TimeSpan duration, string reason);

    [LoggerMessage(EventId = 721, EventName = "KedgeRestored", Level = LogLevel.Information, Message = "Kedge {Kedge} answered again; traffic returns to it.")]
    public static partial void KedgeRestored(ILogger logger, string kedge);

    [LoggerMessage(EventId = 722, EventName = "FailingOver", Level = LogLevel.Debug, Message = "Moving a call for {Target} from kedge {Kedge} to the next kedge ({Reason}).")]
    public static partial void FailingOver(ILogger logger, string target, string kedge, string reason, Exception? exception);

    [LoggerMessage(EventId = 723, EventName = "TargetEjected", Level = LogLevel.Debug, Message = "Kedge {Kedge} has no healthy endpoint for {Target}; it is skipped for that target for {Duration}.")]
    public static partial void TargetEjected(ILogger logger, string kedge, string target, TimeSpan duration);
}
