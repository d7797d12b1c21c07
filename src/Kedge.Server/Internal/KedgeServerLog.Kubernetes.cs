using Microsoft.Extensions.Logging;

namespace Kedge.Server;

/// <summary>Log messages of Kubernetes access, the EndpointSlice resolver and discovery: event ids 1100–1199.</summary>
internal static partial class KedgeServerLog
{
    [LoggerMessage(EventId = 1100, EventName = "KubernetesListed", Level = LogLevel.Debug, Message = "Listed {Count} objects for {Watch} at resource version {Version}.")]
    public static partial void KubernetesListed(ILogger logger, int count, string watch, string? version);

    [LoggerMessage(EventId = 1101, EventName = "KubernetesWatchFailed", Level = LogLevel.Warning, Message = "Watching {Watch} failed ({Failures} in a row); keeping the last known state and reconnecting in {Delay}.")]
    public static partial void KubernetesWatchFailed(ILogger logger, string watch, int failures, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 1102, EventName = "KubernetesWatchExpired", Level = LogLevel.Information, Message = "Resuming the watch of {Watch} from resource version {Version} is no longer possible (410 Gone); listing again.")]
    public static partial void KubernetesWatchExpired(ILogger logger, string watch, string? version);

    [LoggerMessage(EventId = 1103, EventName = "KubernetesInitialSyncTimedOut", Level = LogLevel.Warning, Message = "No list of {Watch} within {Timeout}; backend '{Backend}' starts with no endpoints and follows once the Kubernetes API answers.")]
    public static partial void KubernetesInitialSyncTimedOut(ILogger logger, string watch, TimeSpan timeout, string backend);

    [LoggerMessage(EventId = 1104, EventName = "KubernetesPortNotResolved", Level = LogLevel.Warning, Message = "Backend '{Backend}' ({Target}): {Reason}")]
    public static partial void KubernetesPortNotResolved(ILogger logger, string backend, string target, string reason);

    [LoggerMessage(EventId = 1105, EventName = "KubernetesWatchRecovered", Level = LogLevel.Information, Message = "Watching {Watch} works again after {Failures} failures.")]
    public static partial void KubernetesWatchRecovered(ILogger logger, string watch, int failures);

    [LoggerMessage(EventId = 1106, EventName = "KubernetesWatchEventIgnored", Level = LogLevel.Debug, Message = "Ignoring a watch event of {Watch}: {Reason}")]
    public static partial void KubernetesWatchEventIgnored(ILogger logger, string watch, string reason);

    [LoggerMessage(EventId = 1110, EventName = "DiscoveryApplied", Level = LogLevel.Information, Message = "Setting director and backendpool configs with {HttpBackends} (httpScheme) and {GrpcBackends} (grpcScheme) backends from {Services} exposed services.")]
    public static partial void DiscoveryApplied(ILogger logger, int httpBackends, int grpcBackends, int services);

    [LoggerMessage(EventId = 1111, EventName = "DiscoveryConflict", Level = LogLevel.Warning, Message = "Service {Loser} claims {Claim}, which {Winner} already claims; {Loser} gets no route for it.")]
    public static partial void DiscoveryConflict(ILogger logger, string loser, string claim, string winner);

    [LoggerMessage(EventId = 1112, EventName = "DiscoveryPortSkipped", Level = LogLevel.Warning, Message = "Service {Service} port {Port}: {Reason}")]
    public static partial void DiscoveryPortSkipped(ILogger logger, string service, string port, string reason);

    [LoggerMessage(EventId = 1113, EventName = "DiscoveryRejected", Level = LogLevel.Error, Message = "The configuration generated from exposed services is invalid and was not applied; the last good configuration stays in force:\n{Errors}")]
    public static partial void DiscoveryRejected(ILogger logger, string errors);
}
