namespace Kedge.Common;

/// <summary>
/// The values of <c>X-Kedge-Error-Type</c> as constants (for <c>switch</c> and attributes); <see cref="KedgeErrorKind"/> gives
/// each one's HTTP status, gRPC status and meaning.
/// </summary>
public static class KedgeErrorTypeNames
{
    /// <summary>The caller's credentials are missing or invalid. See <see cref="KedgeErrorKind.Unauthorized"/>.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The caller is known but may not reach this target. See <see cref="KedgeErrorKind.Forbidden"/>.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>No route or adhoc rule claims the target. See <see cref="KedgeErrorKind.NoRoute"/>.</summary>
    public const string NoRoute = "no-route";

    /// <summary>The request could not be routed as written, or an adhoc name does not resolve. See <see cref="KedgeErrorKind.UnknownRouteError"/>.</summary>
    public const string UnknownRouteError = "unknown-route-error";

    /// <summary>The request method is one kedge does not proxy (<c>CONNECT</c>: kedge does not tunnel). See <see cref="KedgeErrorKind.MethodNotAllowed"/>.</summary>
    public const string MethodNotAllowed = "method-not-allowed";

    /// <summary>A request that is not gRPC reached the separate gRPC port. See <see cref="KedgeErrorKind.UnsupportedMediaType"/>.</summary>
    public const string UnsupportedMediaType = "unsupported-media-type";

    /// <summary>The request is malformed as HTTP says. See <see cref="KedgeErrorKind.MalformedRequest"/>.</summary>
    public const string MalformedRequest = "malformed-request";

    /// <summary>The route names a backend kedge does not have. See <see cref="KedgeErrorKind.NoBackend"/>.</summary>
    public const string NoBackend = "no-backend";

    /// <summary>The backend resolved to no addresses. See <see cref="KedgeErrorKind.NoResolutionAvailable"/>.</summary>
    public const string NoResolutionAvailable = "no-resolution-available";

    /// <summary>Every resolved address of the backend failed to connect. See <see cref="KedgeErrorKind.NoConnectionToAllResolvedAddresses"/>.</summary>
    public const string NoConnectionToAllResolvedAddresses = "no-connection-to-all-resolved-addresses";

    /// <summary>Another transport error between kedge and the backend (winch sends it too, for its own failures). See <see cref="KedgeErrorKind.TransportUnknownError"/>.</summary>
    public const string TransportUnknownError = "transport-unknown-error";

    /// <summary>Go kedge only: the backend was closed while the request was in flight. See <see cref="KedgeErrorKind.BackendTransportClosed"/>.</summary>
    public const string BackendTransportClosed = "backend-transport-closed";

    /// <summary>Go kedge only: the backend's resolver failed for good. See <see cref="KedgeErrorKind.ResolverWatcherIrrecoverable"/>.</summary>
    public const string ResolverWatcherIrrecoverable = "resolver-watcher-irrecoverable";
}
