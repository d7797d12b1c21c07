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

    /// <summary>
    /// The request could not be routed as written: an authority whose port is not 1-65535, an ambiguous path on a route
    /// with path rules, or an adhoc rule that matched but whose port is not allowed or whose name does not resolve.
    /// </summary>
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

    /// <summary>The request is malformed as HTTP says (for example an HTTP/2 request with a connection-specific header).</summary>
    public const string MalformedRequest = "malformed-request";

    /// <summary>The backend's resolver failed for good.</summary>
    public const string ResolverWatcherIrrecoverable = "resolver-watcher-irrecoverable";
}
