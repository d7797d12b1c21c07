namespace Kedge.Winch.Internal;

/// <summary>winch's log messages; event ids 2000–2999, never reused.</summary>
internal static partial class WinchLog
{
    [LoggerMessage(EventId = 2000, EventName = "WinchStarted", Level = LogLevel.Information, Message = "winch is listening: HTTP proxy on http://{HttpAddress} (PAC at /wpad.dat), gRPC proxy on {GrpcAddress}; {RouteCount} mapper routes")]
    public static partial void Started(ILogger logger, string httpAddress, string grpcAddress, int routeCount);

    [LoggerMessage(EventId = 2001, EventName = "MonitoringStarted", Level = LogLevel.Information, Message = "winch monitoring endpoints on http://{Address}")]
    public static partial void MonitoringStarted(ILogger logger, string address);

    [LoggerMessage(EventId = 2010, EventName = "ProxiedThroughKedge", Level = LogLevel.Debug, Message = "{Method} {Target} through kedge {KedgeUrl}: {StatusCode} (request id {RequestId})")]
    public static partial void ProxiedThroughKedge(ILogger logger, string method, string target, Uri kedgeUrl, int statusCode, string requestId);

    [LoggerMessage(EventId = 2011, EventName = "ProxiedDirect", Level = LogLevel.Debug, Message = "{Method} {Target} is not a kedge destination; sent directly: {StatusCode}")]
    public static partial void ProxiedDirect(ILogger logger, string method, string target, int statusCode);

    [LoggerMessage(EventId = 2012, EventName = "KedgeErrorResponse", Level = LogLevel.Warning, Message = "Kedge was unable to proxy request {Target} (request id {RequestId}): {StatusCode} {ErrorType}: {Error}")]
    public static partial void KedgeErrorResponse(ILogger logger, string target, string requestId, int statusCode, string? errorType, string? error);

    [LoggerMessage(EventId = 2013, EventName = "WinchProxyError", Level = LogLevel.Warning, Message = "winch could not proxy {Target} (request id {RequestId}): {ErrorType}: {Error}")]
    public static partial void ProxyError(ILogger logger, string target, string requestId, string errorType, string error, Exception? exception);

    [LoggerMessage(EventId = 2014, EventName = "ConnectRefused", Level = LogLevel.Debug, Message = "CONNECT {Target} refused: it came after another request on the connection, where winch cannot tunnel it")]
    public static partial void ConnectRefused(ILogger logger, string target);

    [LoggerMessage(EventId = 2015, EventName = "KedgeWithoutHttp2", Level = LogLevel.Information, Message = "kedge {KedgeUrl} does not negotiate HTTP/2; winch sends it HTTP/1.1 from now on")]
    public static partial void KedgeWithoutHttp2(ILogger logger, Uri kedgeUrl);

    [LoggerMessage(EventId = 2020, EventName = "GrpcProxied", Level = LogLevel.Debug, Message = "gRPC {Method} to {Authority} through kedge {KedgeUrl}")]
    public static partial void GrpcProxied(ILogger logger, string method, string authority, Uri kedgeUrl);

    [LoggerMessage(EventId = 2021, EventName = "GrpcNotKedgeDestination", Level = LogLevel.Information, Message = "gRPC {Method}: {Authority} is not a kedge destination")]
    public static partial void GrpcNotKedgeDestination(ILogger logger, string method, string authority);

    [LoggerMessage(EventId = 2022, EventName = "GrpcProxyError", Level = LogLevel.Warning, Message = "gRPC {Method} to {Authority} failed in winch: {Status}: {Error}")]
    public static partial void GrpcProxyError(ILogger logger, string method, string authority, string status, string error, Exception? exception);

    [LoggerMessage(EventId = 2030, EventName = "TokenRefreshed", Level = LogLevel.Information, Message = "auth source '{Source}': new token from {Issuer}, valid until {Expiry}")]
    public static partial void TokenRefreshed(ILogger logger, string source, Uri issuer, DateTimeOffset expiry);

    [LoggerMessage(EventId = 2031, EventName = "LoginNeeded", Level = LogLevel.Warning, Message = "auth source '{Source}' needs a login: open {LoginUrl} in a browser")]
    public static partial void LoginNeeded(ILogger logger, string source, string loginUrl);

    [LoggerMessage(EventId = 2032, EventName = "LoggedIn", Level = LogLevel.Information, Message = "auth source '{Source}': logged in with {Issuer}")]
    public static partial void LoggedIn(ILogger logger, string source, Uri issuer);

    [LoggerMessage(EventId = 2033, EventName = "TokenCleared", Level = LogLevel.Information, Message = "auth source '{Source}': cached token cleared")]
    public static partial void TokenCleared(ILogger logger, string source);

    [LoggerMessage(EventId = 2034, EventName = "KubeconfigWriteFailed", Level = LogLevel.Warning, Message = "auth source '{Source}': the refreshed token could not be written back to {Path}; it is kept in memory")]
    public static partial void KubeconfigWriteFailed(ILogger logger, string source, string path, Exception exception);

    [LoggerMessage(EventId = 2035, EventName = "ExecPluginRan", Level = LogLevel.Debug, Message = "auth source '{Source}': exec plugin {Command} gave a token valid until {Expiry}")]
    public static partial void ExecPluginRan(ILogger logger, string source, string command, string expiry);

    [LoggerMessage(EventId = 2036, EventName = "UnsafeSetting", Level = LogLevel.Warning, Message = "{Setting}: {Risk}")]
    public static partial void UnsafeSetting(ILogger logger, string setting, string risk);
}
