namespace Kedge.Client;

/// <summary>The values kedge sends in <c>X-Kedge-Error-Type</c> (the Go kedge vocabulary plus <c>forbidden</c>).</summary>
public static class KedgeErrorTypes
{
    /// <summary>The caller's credentials were missing or invalid.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The caller is known but may not reach this route.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>No route or adhoc rule matches the target.</summary>
    public const string NoRoute = "no-route";

    /// <summary>An adhoc rule matched but the request could not be routed (bad port, unresolvable name).</summary>
    public const string UnknownRouteError = "unknown-route-error";

    /// <summary>The route names a backend kedge does not have.</summary>
    public const string NoBackend = "no-backend";

    /// <summary>The backend was closed while the request was in flight (reconfiguration).</summary>
    public const string BackendTransportClosed = "backend-transport-closed";

    /// <summary>The backend resolved to no addresses.</summary>
    public const string NoResolutionAvailable = "no-resolution-available";

    /// <summary>Every resolved address of the backend failed to connect.</summary>
    public const string NoConnectionToAllResolvedAddresses = "no-connection-to-all-resolved-addresses";

    /// <summary>Another transport error between kedge and the backend.</summary>
    public const string TransportUnknownError = "transport-unknown-error";

    /// <summary>The backend's resolver failed for good.</summary>
    public const string ResolverWatcherIrrecoverable = "resolver-watcher-irrecoverable";
}
