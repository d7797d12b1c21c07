using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>Kedge.Server's log messages. Event ids 1000–1999 belong to Kedge.Server; never reuse one.</summary>
internal static partial class KedgeServerLog
{
    [LoggerMessage(EventId = 1000, EventName = "ProxyError", Level = LogLevel.Warning, Message = "Request for {Target} failed with {ErrorType} (backend '{Backend}'): {ErrorMessage}")]
    public static partial void ProxyError(ILogger logger, string target, string errorType, string backend, string errorMessage);

    [LoggerMessage(EventId = 1001, EventName = "ResolutionFailed", Level = LogLevel.Warning, Message = "Resolving '{DnsName}' failed; keeping the last known endpoints.")]
    public static partial void ResolutionFailed(ILogger logger, string dnsName, Exception exception);

    [LoggerMessage(EventId = 1002, EventName = "EndpointsChanged", Level = LogLevel.Information, Message = "Backend '{Backend}' now has {Count} endpoints: {Endpoints}.")]
    public static partial void EndpointsChanged(ILogger logger, string backend, int count, string endpoints);

    [LoggerMessage(EventId = 1003, EventName = "EndpointEjected", Level = LogLevel.Warning, Message = "Endpoint {Endpoint} of backend '{Backend}' failed to connect; ejected for {Duration}.")]
    public static partial void EndpointEjected(ILogger logger, string endpoint, string backend, TimeSpan duration, Exception exception);

    [LoggerMessage(EventId = 1004, EventName = "ConfigurationApplied", Level = LogLevel.Information, Message = "Configuration applied: {HttpRoutes} HTTP routes, {GrpcRoutes} gRPC routes, {Backends} backends.")]
    public static partial void ConfigurationApplied(ILogger logger, int httpRoutes, int grpcRoutes, int backends);

    [LoggerMessage(EventId = 1005, EventName = "ConfigurationRejected", Level = LogLevel.Error, Message = "The new configuration is invalid and was not applied; the last good configuration stays in force:\n{Errors}")]
    public static partial void ConfigurationRejected(ILogger logger, string errors);

    [LoggerMessage(EventId = 1006, EventName = "ServerCertificateReloaded", Level = LogLevel.Information, Message = "Loaded a new server certificate from {Path}: subject '{Subject}'.")]
    public static partial void ServerCertificateReloaded(ILogger logger, string path, string subject);

    [LoggerMessage(EventId = 1007, EventName = "ServerCertificateReloadFailed", Level = LogLevel.Warning, Message = "The server certificate files {Path} changed but could not be loaded; still using the previous certificate.")]
    public static partial void ServerCertificateReloadFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 1450, EventName = "ClientCaFilesReloaded", Level = LogLevel.Information, Message = "Loaded new client CA files {Path}; new connections are checked against them.")]
    public static partial void ClientCaFilesReloaded(ILogger logger, string path);

    [LoggerMessage(EventId = 1451, EventName = "ClientCaFilesReloadFailed", Level = LogLevel.Warning, Message = "The client CA files {Path} changed but could not be loaded; still trusting the previous CAs.")]
    public static partial void ClientCaFilesReloadFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 1008, EventName = "BackendTlsFilesReloaded", Level = LogLevel.Information, Message = "Loaded new backend TLS files {Path}; new connections use them.")]
    public static partial void BackendTlsFilesReloaded(ILogger logger, string path);

    [LoggerMessage(EventId = 1009, EventName = "BackendTlsFilesReloadFailed", Level = LogLevel.Warning, Message = "The backend TLS files {Path} changed but could not be loaded; still using the previous ones.")]
    public static partial void BackendTlsFilesReloadFailed(ILogger logger, string path, Exception exception);
}
